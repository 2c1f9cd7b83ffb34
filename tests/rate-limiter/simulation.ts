/**
 * The simulated Redis behind the rate-limiter harness (see harness.ts), and the fault-injecting wrapper
 * that real-servers.ts puts in front of a real Redis too.
 */
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { interceptRedis } from '../support/redis-proxy';
import { compileScriptsOnce } from '../support/redis-scripts';
import type { SimulatedRedis } from './harness';

/** How long an ioredis client keeps a command queued while it reconnects before giving up (defaults). */
export const UNRESPONSIVE_GIVES_UP_MS = 10_000;

const networkError = (message: string, code: string) => Object.assign(new Error(message), { code });

/**
 * Wraps an ioredis client: records each command, and fails commands as the grader asks. `isCommand`
 * tells Redis commands from the client's other methods; `track` sees every reply a server still owes
 * (a real one answers over the network, and settle() must wait for it).
 */
export function faultyRedis(
  target: Redis,
  isCommand: (prop: string) => boolean,
  track: <T>(reply: Promise<T>) => Promise<T> = (reply) => reply,
) {
  const commands: string[] = [];
  let down: 'refusing' | 'unresponsive' | undefined;
  let allowance: number | undefined;

  /** Sends one round trip to Redis, unless the grader has taken Redis away. */
  const roundTrip = (name: string, send: () => Promise<unknown>): Promise<unknown> => {
    commands.push(name);
    if (allowance !== undefined) {
      if (allowance === 0) down ??= 'refusing';
      else allowance--;
    }
    if (down === 'refusing') {
      return Promise.reject(networkError('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'));
    }
    if (down === 'unresponsive') {
      // ioredis queues the command while it reconnects and only gives up after its retries.
      return new Promise((_, reject) => {
        setTimeout(
          () => reject(new Error('Reached the max retries per request limit (which is 20).')),
          UNRESPONSIVE_GIVES_UP_MS,
        );
      });
    }
    return track(send());
  };

  const client = interceptRedis(target, {
    status: () => (down ? 'reconnecting' : 'ready'),
    isCommand: (_client, name) => isCommand(name),
    command: (name, args, send) => roundTrip(name.toUpperCase(), () => send(args) as Promise<unknown>),
    transaction: () => {
      const queued: string[] = [];
      return {
        queue: (name) => {
          queued.push(name.toUpperCase());
        },
        exec: (_args, send) => roundTrip(`${queued.join(' ')} EXEC`.trim(), send as () => Promise<unknown>),
      };
    },
  });

  return {
    client,
    commands,
    goDown: (how: 'refusing' | 'unresponsive') => {
      down = how;
    },
    comeBack: () => {
      down = undefined;
      allowance = undefined;
    },
    dropAfter: (count: number) => {
      allowance = count;
    },
  };
}

/** Every key (under `pattern`) with its remaining time to live. */
export async function keysWithTtl(
  redis: Redis,
  pattern = '*',
): Promise<Array<{ key: string; ttlMs: number }>> {
  const keys = (await redis.keys(pattern)).sort();
  return Promise.all(keys.map(async (key) => ({ key, ttlMs: await redis.pttl(key) })));
}

// ioredis-mock instances on one host:port share a keyspace: each harness gets a port of its own.
let nextPort = 18000;

export async function simulatedRedis(): Promise<SimulatedRedis> {
  const mock = new RedisMock({ port: nextPort++ });
  await mock.flushall();
  compileScriptsOnce(mock);
  // ioredis-mock's commands are its own properties (custom commands from defineCommand too).
  const wrapped = faultyRedis(mock, (prop) => Object.hasOwn(mock, prop));
  return { ...wrapped, keys: () => keysWithTtl(mock) };
}
