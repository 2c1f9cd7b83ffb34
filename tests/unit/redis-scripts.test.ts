import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { describe, expect, it, vi } from 'vitest';
import { compileScriptsOnce } from '../support/redis-scripts';

// Each pair of clients gets a keyspace of its own (ioredis-mock shares one per port).
let nextPort = 19_500;

/** Two clients on two fresh keyspaces: ioredis-mock's own EVAL, and the one that compiles once. */
async function pair(): Promise<{ original: Redis; compiled: Redis }> {
  const original = new RedisMock({ port: nextPort++ });
  const compiled = new RedisMock({ port: nextPort++ });
  compileScriptsOnce(compiled);
  return { original, compiled };
}

/** The reply, or the error's message: what a caller can tell apart. */
const outcome = (reply: Promise<unknown>) =>
  reply.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
  );

const SCRIPTS: Array<[string, string, number, ...string[]]> = [
  ['a number', 'return tonumber(ARGV[1]) * 2', 0, '21'],
  ['a fraction', 'return tonumber(ARGV[1]) / 4', 0, '3'],
  ['a string', "return 'hello ' .. KEYS[1]", 1, 'world'],
  ['nil', 'return nil', 0],
  ['false', 'return false', 0],
  ['a nested array', "return {1, 'two', {3, {'four'}}}", 0],
  ['keys and arguments', 'return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}', 2, 'k1', 'k2', 'a1'],
  [
    'a counter that expires',
    // Whether it has a TTL, not the TTL: the two clients run a moment apart in real time.
    "local n = redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], 60000) return {n, redis.call('PTTL', KEYS[1]) > 0 and 1 or 0}",
    1,
    'counter',
  ],
  ['a missing key (false)', "return redis.call('GET', KEYS[1])", 1, 'nothing-here'],
  [
    'an array from redis.call',
    "redis.call('RPUSH', KEYS[1], 'a', 'b') return redis.call('LRANGE', KEYS[1], 0, -1)",
    1,
    'list',
  ],
  [
    'a sorted set',
    "redis.call('ZADD', KEYS[1], 5, 'five', 1, 'one') return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')",
    1,
    'z',
  ],
  [
    'a hash',
    "redis.call('HSET', KEYS[1], 'tokens', '4.5', 'at', '1000') return redis.call('HGETALL', KEYS[1])",
    1,
    'h',
  ],
  ['HMGET of a missing field', "return redis.call('HMGET', KEYS[1], 'tokens', 'at')", 1, 'no-hash'],
  ['redis.pcall catching an error', "return redis.pcall('INCR', KEYS[1])", 1, 'not-a-number'],
  ['a runtime error', 'return nosuchfunction()', 0],
  ['a syntax error', 'return (', 0],
  ['an error raised by redis.call', "return redis.call('INCR', KEYS[1])", 1, 'not-a-number'],
  [
    'the length of a reply',
    "redis.call('RPUSH', KEYS[1], 'a', 'b', 'c') return #redis.call('LRANGE', KEYS[1], 0, -1)",
    1,
    'list',
  ],
  ['unpack (Lua 5.1 name)', 'return {unpack({1, 2})}', 0],
];

describe('EVAL compiled once answers as ioredis-mock answers', () => {
  it.each(SCRIPTS)('%s', async (_, script, numberOfKeys, ...args) => {
    const { original, compiled } = await pair();
    for (const redis of [original, compiled]) await redis.set('not-a-number', 'abc');
    // Twice: the second call runs the compiled script.
    for (let call = 0; call < 2; call++) {
      const expected = await outcome(original.eval(script, numberOfKeys, ...args));
      expect(await outcome(compiled.eval(script, numberOfKeys, ...args))).toEqual(expected);
    }
  });

  it('a script sees only the arguments of its own call, and the keyspace of its own client', async () => {
    const { compiled } = await pair();
    const other = new RedisMock({ port: nextPort++ });
    compileScriptsOnce(other);
    const script = "redis.call('INCR', KEYS[1]) return {#ARGV, redis.call('GET', KEYS[1])}";
    expect(await compiled.eval(script, 1, 'n', 'a', 'b')).toEqual([2, '1']);
    expect(await other.eval(script, 1, 'n')).toEqual([0, '1']);
    expect(await compiled.eval(script, 1, 'n')).toEqual([0, '2']);
  });

  it('starts every call with fresh globals, as a fresh interpreter would', async () => {
    const { compiled } = await pair();
    const script = 'local before = seen; seen = ARGV[1]; return before or false';
    expect(await compiled.eval(script, 0, 'first')).toBe(false);
    expect(await compiled.eval(script, 0, 'second')).toBe(false);
  });

  it('a script returning nothing answers nil, as Redis does', async () => {
    const { compiled } = await pair();
    expect(await compiled.eval("redis.call('SET', KEYS[1], 'v')", 1, 'k')).toBeNull();
    expect(await compiled.get('k')).toBe('v');
  });

  it('EVALSHA runs a script EVAL ran before, by the SHA1 of its source; an unknown one is NOSCRIPT', async () => {
    const { compiled } = await pair();
    const script = 'return ARGV[1]';
    const sha = createHash('sha1').update(script).digest('hex');
    await expect(compiled.evalsha(sha, 0, 'x')).rejects.toThrow(/NOSCRIPT/);
    expect(await compiled.eval(script, 0, 'first')).toBe('first');
    expect(await compiled.evalsha(sha, 0, 'again')).toBe('again');
    await expect(compiled.evalsha('0'.repeat(40), 0)).rejects.toThrow(/NOSCRIPT/);
  });

  it('EVALSHA works where the page has no Web Crypto API (a classroom page over plain http)', async () => {
    vi.stubGlobal('crypto', {});
    try {
      const { compiled } = await pair();
      const script = 'return ARGV[1]';
      expect(await compiled.eval(script, 0, 'first')).toBe('first');
      expect(await compiled.evalsha(createHash('sha1').update(script).digest('hex'), 0, 'again')).toBe(
        'again',
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('answers through a Node-style callback too', async () => {
    const { compiled } = await pair();
    const reply = await new Promise((resolve, reject) => {
      compiled.eval('return ARGV[1]', 0, 'called back', (error: unknown, value: unknown) =>
        error ? reject(error) : resolve(value),
      );
    });
    expect(reply).toBe('called back');
  });
});
