/**
 * The rate-limiter harness against a real Redis (RJ_REDIS_URL: see tests/real-servers). Nothing here runs
 * with the simulation, nor in a browser.
 *
 * Each test's keys live under a fresh prefix (ioredis `keyPrefix`, so your code still names its own keys)
 * and are deleted when the test ends. Outages and dropped connections stay simulated in front of the
 * client: the grader cannot stop a server other runs share. Redis's own clock is not moved by the
 * grader; the contract's `now()` is, and key expiries are only ever checked right after they are set.
 */
import type { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { inFlight, settleWaitsFor } from '../support/settle';
import type { SimulatedRedis } from './harness';
import { faultyRedis, keysWithTtl } from './simulation';

async function connect(url: string, keyPrefix: string): Promise<Redis> {
  const { Redis: RealRedis } = await import('ioredis');
  const client = new RealRedis(url, { keyPrefix, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `could not connect to Redis at RJ_REDIS_URL=${url} (${(error as Error).message}). Is it running? ` +
        'tests/real-servers/servers.sh start starts one; unset RJ_REDIS_URL to use the simulation.',
    );
  }
  return client;
}

export async function realRedis(url: string): Promise<SimulatedRedis> {
  const prefix = `rj:rate-limiter:${globalThis.crypto.randomUUID().slice(0, 13)}:`;
  const real = await connect(url, prefix);
  // The grader's own connection, without the prefix: it reads and finally deletes this test's keys.
  const admin = await connect(url, '');
  const builtin = new Set(real.getBuiltinCommands());
  // settle() waits for Redis's answers too: the grader judges what the limiter did with them.
  const requests = inFlight();
  const stopWaiting = settleWaitsFor(requests);
  onTestFinished(async () => {
    stopWaiting();
    real.disconnect();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });
  const wrapped = faultyRedis(
    real,
    (prop) => builtin.has(prop),
    (reply) => requests.track(reply),
  );
  return {
    ...wrapped,
    keys: async () =>
      (await keysWithTtl(admin, `${prefix}*`)).map(({ key, ttlMs }) => ({
        key: key.slice(prefix.length),
        ttlMs,
      })),
  };
}
