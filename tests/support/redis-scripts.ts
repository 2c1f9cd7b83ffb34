/**
 * EVAL and EVALSHA for ioredis-mock clients, with one Lua interpreter kept and each script compiled once.
 *
 * ioredis-mock starts a new fengari interpreter for every EVAL: it loads Lua's libraries and parses the
 * script again each time (about 1 ms a call), and a grader's random scenarios send hundreds of calls.
 * Real Redis keeps its interpreter and compiles a script once. This does the same, with ioredis-mock's
 * own command implementations behind redis.call and its conversions between Lua and JavaScript values,
 * so a script answers what it answered before, sooner. Each call still starts with fresh globals (KEYS,
 * ARGV and whatever the script assigns), as in a fresh interpreter.
 */
import fengari, { type LuaState } from 'fengari';
import interop from 'fengari-interop';
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import sha from 'sha.js';

const { lua, lauxlib, lualib, to_luastring } = fengari;

type Emulator = (this: Redis, ...args: unknown[]) => unknown;
interface MockInternals {
  shaScripts: Record<string, string>;
}
interface PipelineClass {
  new (redis: Redis): object;
}

let emulators: Record<string, Emulator> | undefined;

/**
 * ioredis-mock's command implementations, which answer synchronously as a script needs. The package
 * exports no other way to reach them than its Pipeline, which is handed each one to wrap.
 */
function commandEmulators(redis: Redis): Record<string, Emulator> {
  if (emulators) return emulators;
  const found: Record<string, Emulator> = {};
  const Pipeline = (RedisMock as unknown as { Pipeline: PipelineClass }).Pipeline;
  class Recorder extends Pipeline {
    _createCommand(name: string, emulator: Emulator) {
      found[name] = emulator;
      return () => this;
    }
  }
  new Recorder(redis);
  if (typeof found.get !== 'function' || typeof found.evaluate !== 'function') {
    throw new Error('this ioredis-mock no longer hands its commands to Pipeline._createCommand');
  }
  emulators = found;
  return found;
}

// What ioredis-mock defines in each interpreter: redis.call and redis.pcall over a JavaScript `call`.
const REDIS_OBJECT = `
local redis = {}
function repair(val)
  if val == nil then
    return false
  end
  return val
end
unpack = table.unpack
redis.call = function(...)
    return repair(call(false, ...))
end
redis.pcall = function(...)
    return repair(call(true, ...))
end
return redis`;

const ERROR_PREFIX = 'Error trying to loading or executing lua code string in VM: ';

/** JavaScript to Lua as ioredis-mock converts KEYS and ARGV: arrays and objects become tables. */
function pushValue(L: LuaState, value: unknown): void {
  if (Array.isArray(value)) {
    lua.lua_newtable(L);
    const table = lua.lua_gettop(L);
    value.forEach((element, i) => {
      interop.push(L, i + 1);
      pushValue(L, element);
      lua.lua_settable(L, table);
    });
  } else if (value && typeof value === 'object') {
    lua.lua_newtable(L);
    const table = lua.lua_gettop(L);
    for (const [field, element] of Object.entries(value)) {
      interop.push(L, field);
      pushValue(L, element);
      lua.lua_settable(L, table);
    }
  } else {
    interop.push(L, value);
  }
}

/** Whether the value on top is a table whose keys are exactly 1..n (a Lua array). */
function isArrayOnTop(L: LuaState): boolean {
  if (!lua.lua_istable(L, -1)) return false;
  const keys: unknown[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    keys.push(interop.tojs(L, -2));
    lua.lua_pop(L, 1);
  }
  return keys.reverse().every((key, i) => key === i + 1);
}

/** Lua to JavaScript as ioredis-mock converts a script's answer: arrays element by element. */
function valueOnTop(L: LuaState): unknown {
  if (!isArrayOnTop(L)) {
    const value = interop.tojs(L, -1);
    // An array that came from redis.call carries a placeholder first element (see `call` below).
    return Array.isArray(value) ? value.slice(1) : value;
  }
  lua.lua_len(L, -1);
  const length = lua.lua_tointeger(L, -1);
  lua.lua_pop(L, 1);
  const table = interop.tojs(L, -1) as { get(key: number): unknown };
  const values: unknown[] = [];
  for (let i = 1; i <= length; i++) {
    interop.push(L, table.get(i));
    values.push(valueOnTop(L));
  }
  lua.lua_pop(L, 1);
  return values;
}

/** The Lua interpreter, with compiled scripts kept by their source; `client()` is the caller's Redis. */
function interpreter(client: () => Redis) {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  interop.luaopen_js(L); // as ioredis-mock: it also turns a JavaScript exception into a Lua error
  lua.lua_settop(L, 0);

  // redis.call: run the command on ioredis-mock at once; redis.pcall returns an error instead of raising it.
  lua.lua_pushjsfunction(L, (state) => {
    const args: unknown[] = [];
    for (let i = 1; i <= lua.lua_gettop(state); i++) args.push(interop.tojs(state, i));
    const [returnError, name, ...commandArgs] = args;
    let result: unknown;
    try {
      const command = String(name).toLowerCase();
      const redis = client();
      const emulator = commandEmulators(redis)[command];
      if (!emulator) throw new Error(`ERR Unknown Redis command called from script: ${String(name)}`);
      result = emulator.apply(redis, commandArgs);
      if (command === 'hgetall') result = Object.entries(result as object).flat();
    } catch (error) {
      if (!returnError) throw error;
      interop.push(state, ['error', String(error)]);
      return 1;
    }
    if (!result && result !== 0) return 0;
    if (Array.isArray(result)) {
      // Lua counts from 1: a placeholder at 0, and a length that leaves it out.
      const withPlaceholder: unknown[] = [null, ...result];
      Object.assign(withPlaceholder, { [Symbol.for('__len')]: () => withPlaceholder.length - 1 });
      result = withPlaceholder;
    }
    interop.push(state, result);
    return 1;
  });
  lua.lua_setglobal(L, to_luastring('call'));
  if (lauxlib.luaL_dostring(L, to_luastring(REDIS_OBJECT)) !== lua.LUA_OK) {
    throw new Error(ERROR_PREFIX + lua.lua_tojsstring(L, -1));
  }
  lua.lua_setglobal(L, to_luastring('redis'));

  // Each call's globals: a table of its own that reads through to the shared ones.
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushglobaltable(L);
  lua.lua_setfield(L, -2, to_luastring('__index'));
  const freshGlobals = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);

  const compiled = new Map<string, number>();
  const pushCompiled = (script: string) => {
    const known = compiled.get(script);
    if (known !== undefined) {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, known);
      return;
    }
    if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK) {
      const message = lua.lua_tojsstring(L, -1);
      lua.lua_settop(L, 0);
      throw new Error(ERROR_PREFIX + message);
    }
    compiled.set(script, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, compiled.get(script) as number);
  };

  return (script: string, numberOfKeys: number, args: unknown[]): unknown => {
    pushCompiled(script);
    lua.lua_createtable(L, 0, 2);
    pushValue(L, args.slice(0, numberOfKeys));
    lua.lua_setfield(L, -2, to_luastring('KEYS'));
    pushValue(L, args.slice(numberOfKeys));
    lua.lua_setfield(L, -2, to_luastring('ARGV'));
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, freshGlobals);
    lua.lua_setmetatable(L, -2);
    lua.lua_setupvalue(L, -2, 1); // a compiled chunk's only upvalue is its globals, _ENV
    try {
      if (lua.lua_pcall(L, 0, lua.LUA_MULTRET, 0) !== lua.LUA_OK) {
        throw new Error(ERROR_PREFIX + lua.lua_tojsstring(L, -1));
      }
      // Real Redis answers nil for a script that returns nothing (ioredis-mock answered its own internals),
      // and the first value of several (ioredis-mock the last).
      if (lua.lua_gettop(L) === 0) return null;
      lua.lua_settop(L, 1);
      return valueOnTop(L);
    } finally {
      lua.lua_settop(L, 0);
    }
  };
}

/** ioredis's argument handling: one level of arrays flattened, every argument a string (or Buffer). */
const commandArgument = (arg: unknown) =>
  arg == null ? '' : typeof Buffer !== 'undefined' && arg instanceof Buffer ? arg : String(arg);

/** As an ioredis command answers: a promise, and the Node-style callback if the last argument is one. */
function answer(args: unknown[], run: (args: unknown[]) => unknown): Promise<unknown> {
  const callback = typeof args.at(-1) === 'function' ? (args.pop() as (...a: unknown[]) => void) : undefined;
  const reply = new Promise((resolve) => resolve(run(args.flat().map(commandArgument))));
  if (callback)
    reply.then(
      (value) => callback(null, value),
      (error: unknown) => callback(error),
    );
  return reply;
}

let caller: Redis | undefined;
let run: ReturnType<typeof interpreter> | undefined;

/** Runs a script for `redis` (scripts run one at a time, to the end, as in Redis). */
function evaluate(redis: Redis, script: string, args: unknown[]): unknown {
  run ??= interpreter(() => caller as Redis);
  caller = redis;
  try {
    return run(script, Number(args[0]), args.slice(1));
  } finally {
    caller = undefined;
  }
}

/**
 * A script's name for EVALSHA: the SHA1 of its source, in hex. Not the Web Crypto API: a page served over
 * plain http from another computer (a classroom) has no crypto.subtle.
 */
function sha1(source: string): string {
  return sha('sha1').update(source).digest('hex');
}

/** Replaces EVAL and EVALSHA on an ioredis-mock client with ones that compile each script once. */
export function compileScriptsOnce(redis: Redis): void {
  const { shaScripts } = redis as unknown as MockInternals;
  // Scripts run by EVAL and not yet named for EVALSHA: hashing waits until an EVALSHA asks for one.
  const seen = new Set<string>();
  const unnamed = new Set<string>();
  const nameScripts = () => {
    for (const source of unnamed) shaScripts[sha1(source)] = source;
    unnamed.clear();
  };
  Object.assign(redis, {
    eval: (...args: unknown[]) =>
      answer(args, ([script, ...rest]) => {
        const source = String(script);
        if (!seen.has(source)) {
          seen.add(source);
          unnamed.add(source);
        }
        return evaluate(redis, source, rest);
      }),
    evalsha: (...args: unknown[]) =>
      answer(args, ([sha, ...rest]) => {
        if (!(String(sha) in shaScripts)) nameScripts();
        const script = shaScripts[String(sha)];
        if (!script) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        return evaluate(redis, script, rest);
      }),
  });
}
