/**
 * The part of fengari (Lua 5.3 in JavaScript) and fengari-interop that redis-scripts.ts uses; neither
 * package ships type declarations. Names and signatures follow Lua's C API, which fengari mirrors.
 */
declare module 'fengari' {
  export interface LuaState {
    readonly __luaState: unique symbol;
  }
  type JsFunction = (L: LuaState) => number;
  const fengari: {
    to_luastring(text: string): Uint8Array;
    lua: {
      LUA_OK: number;
      LUA_MULTRET: number;
      LUA_REGISTRYINDEX: number;
      lua_gettop(L: LuaState): number;
      lua_settop(L: LuaState, index: number): void;
      lua_pop(L: LuaState, count: number): void;
      lua_pcall(L: LuaState, nargs: number, nresults: number, handler: number): number;
      lua_createtable(L: LuaState, narray: number, nrecords: number): void;
      lua_newtable(L: LuaState): void;
      lua_settable(L: LuaState, index: number): void;
      lua_setfield(L: LuaState, index: number, key: Uint8Array): void;
      lua_setglobal(L: LuaState, name: Uint8Array): void;
      lua_pushglobaltable(L: LuaState): void;
      lua_pushjsfunction(L: LuaState, fn: JsFunction): void;
      lua_pushnil(L: LuaState): void;
      lua_setmetatable(L: LuaState, index: number): void;
      lua_setupvalue(L: LuaState, funcIndex: number, n: number): Uint8Array | null;
      lua_rawgeti(L: LuaState, index: number, n: number): number;
      lua_next(L: LuaState, index: number): number;
      lua_len(L: LuaState, index: number): void;
      lua_tointeger(L: LuaState, index: number): number;
      lua_isnil(L: LuaState, index: number): boolean;
      lua_istable(L: LuaState, index: number): boolean;
      lua_tojsstring(L: LuaState, index: number): string;
    };
    lauxlib: {
      luaL_newstate(): LuaState;
      luaL_loadstring(L: LuaState, source: Uint8Array): number;
      luaL_dostring(L: LuaState, source: Uint8Array): number;
      luaL_ref(L: LuaState, table: number): number;
    };
    lualib: {
      luaL_openlibs(L: LuaState): void;
    };
  };
  export default fengari;
}

declare module 'fengari-interop' {
  import type { LuaState } from 'fengari';

  const interop: {
    luaopen_js(L: LuaState): number;
    push(L: LuaState, value: unknown): void;
    tojs(L: LuaState, index: number): unknown;
  };
  export default interop;
}
