import { describe, expect, it } from 'vitest';
import { backendsFromEnvironment } from '../../engine/grading/projects.ts';

describe('real servers named in the environment', () => {
  it('uses the simulations when nothing (or only empty values) is set', () => {
    expect(backendsFromEnvironment({})).toEqual({});
    expect(backendsFromEnvironment({ REDIS_URL: '', DATABASE_URL: ' ', DATABASE_REPLICA_URLS: ',' })).toEqual(
      {},
    );
  });

  it('reads Redis, the primary and a comma-separated list of replicas', () => {
    expect(
      backendsFromEnvironment({
        REDIS_URL: 'redis://127.0.0.1:6390',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/postgres',
        DATABASE_REPLICA_URLS:
          'postgres://postgres@127.0.0.1:5434/postgres, postgresql://postgres@127.0.0.1:5435/postgres,',
      }),
    ).toEqual({
      redisUrl: 'redis://127.0.0.1:6390',
      databaseUrl: 'postgres://postgres@127.0.0.1:5433/postgres',
      replicaUrls: [
        'postgres://postgres@127.0.0.1:5434/postgres',
        'postgresql://postgres@127.0.0.1:5435/postgres',
      ],
    });
  });

  it('takes each server on its own: Redis alone, or the database alone', () => {
    expect(backendsFromEnvironment({ REDIS_URL: 'rediss://cache.internal:6380' })).toEqual({
      redisUrl: 'rediss://cache.internal:6380',
    });
    expect(backendsFromEnvironment({ DATABASE_URL: 'postgresql://app@db/shop' })).toEqual({
      databaseUrl: 'postgresql://app@db/shop',
    });
  });

  it('refuses values that cannot be what they claim, naming the variable', () => {
    expect(() => backendsFromEnvironment({ REDIS_URL: '127.0.0.1:6390' })).toThrowError(/REDIS_URL/);
    expect(() => backendsFromEnvironment({ REDIS_URL: 'postgres://127.0.0.1:5433' })).toThrowError(
      /REDIS_URL must start with redis: or rediss:/,
    );
    expect(() =>
      backendsFromEnvironment({
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/postgres',
        DATABASE_REPLICA_URLS: 'postgres://ok@127.0.0.1:5434/postgres,redis://127.0.0.1:6390',
      }),
    ).toThrowError(/DATABASE_REPLICA_URLS \(entry 2\)/);
  });

  it('refuses replicas without their primary', () => {
    expect(() =>
      backendsFromEnvironment({ DATABASE_REPLICA_URLS: 'postgres://postgres@127.0.0.1:5434/postgres' }),
    ).toThrowError(/DATABASE_URL \(their primary\) is not set/);
  });
});
