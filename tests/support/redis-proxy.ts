/**
 * The wrapper a harness puts between the code under test and its Redis client (ioredis-mock, or ioredis
 * on a real server): a proxy of the client that sees every command, and every MULTI or pipeline as its
 * commands are queued and as it is sent, so the harness can record them, hold them, or fail them as an
 * outage would. What it does with them is the harness's own business (the hooks).
 */
import type { Redis } from 'ioredis';

type AnyFunction = (...args: unknown[]) => unknown;

/** What a harness does with what the client is asked to do. */
export interface RedisHooks {
  /** ioredis's connection state, which some code checks before it uses Redis. */
  status(): 'ready' | 'reconnecting';
  /** Whether a property of the client is a Redis command (a client has other methods too). */
  isCommand(client: Redis, name: string): boolean;
  /** A command called on the client; `send(args)` runs it on the client, with these arguments or others. */
  command(name: string, args: unknown[], send: (args: unknown[]) => unknown): unknown;
  /** A MULTI or pipeline begins: what to do as each of its commands is queued, and on its exec(). */
  transaction(): {
    queue(name: string, args: unknown[]): void;
    /** `send()` sends what was queued (exec() with its own arguments, a callback perhaps). */
    exec(args: unknown[], send: () => unknown): unknown;
  };
}

export function interceptRedis(target: Redis, hooks: RedisHooks): Redis {
  const wrapTransaction = (transaction: object): object => {
    const seen = hooks.transaction();
    const proxy: object = new Proxy(transaction, {
      get(inner, prop) {
        const value = Reflect.get(inner, prop, inner) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as AnyFunction;
        if (prop === 'exec') return (...args: unknown[]) => seen.exec(args, () => method.apply(inner, args));
        return (...args: unknown[]) => {
          if (typeof prop === 'string') seen.queue(prop, args);
          const result = method.apply(inner, args);
          // Chained calls, multi().incr(key).pexpire(key, ms), go on through the proxy.
          return result === inner ? proxy : result;
        };
      },
    });
    return proxy;
  };

  return new Proxy(target, {
    get(client, prop) {
      if (prop === 'status') return hooks.status();
      const value = Reflect.get(client, prop, client) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as AnyFunction;
      if (prop === 'multi' || prop === 'pipeline') {
        return (...args: unknown[]) => wrapTransaction(method.apply(client, args) as object);
      }
      if (typeof prop !== 'string' || !hooks.isCommand(client, prop)) return method.bind(client);
      return (...args: unknown[]) => hooks.command(prop, args, (sent) => method.apply(client, sent));
    },
  });
}
