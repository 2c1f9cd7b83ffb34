import { describe, expect, it } from 'vitest';
import { backendsFromEnvironment } from '../../engine/grading/projects.ts';

describe('real servers named in the environment', () => {
  it('uses the simulations when nothing (or only empty values) is set', () => {
    expect(backendsFromEnvironment({})).toEqual({});
    expect(
      backendsFromEnvironment({ RJ_REDIS_URL: '', RJ_DATABASE_URL: ' ', RJ_DATABASE_REPLICA_URLS: ',' }),
    ).toEqual({});
  });

  it("ignores generic REDIS_URL / DATABASE_URL a learner's shell sets for other work", () => {
    expect(
      backendsFromEnvironment({
        REDIS_URL: 'redis://127.0.0.1:6379',
        DATABASE_URL: 'postgres://me@127.0.0.1:5432/my_app',
        DATABASE_REPLICA_URLS: 'postgres://me@127.0.0.1:5433/my_app',
      }),
    ).toEqual({});
  });

  it('reads Redis, the primary and a comma-separated list of replicas', () => {
    expect(
      backendsFromEnvironment({
        RJ_REDIS_URL: 'redis://127.0.0.1:6390',
        RJ_DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/postgres',
        RJ_DATABASE_REPLICA_URLS:
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
    expect(backendsFromEnvironment({ RJ_REDIS_URL: 'rediss://cache.internal:6380' })).toEqual({
      redisUrl: 'rediss://cache.internal:6380',
    });
    expect(backendsFromEnvironment({ RJ_DATABASE_URL: 'postgresql://app@db/shop' })).toEqual({
      databaseUrl: 'postgresql://app@db/shop',
    });
  });

  it('refuses values that cannot be what they claim, naming the variable', () => {
    expect(() => backendsFromEnvironment({ RJ_REDIS_URL: '127.0.0.1:6390' })).toThrowError(/RJ_REDIS_URL/);
    expect(() => backendsFromEnvironment({ RJ_REDIS_URL: 'postgres://127.0.0.1:5433' })).toThrowError(
      /RJ_REDIS_URL must start with redis: or rediss:/,
    );
    expect(() =>
      backendsFromEnvironment({
        RJ_DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/postgres',
        RJ_DATABASE_REPLICA_URLS: 'postgres://ok@127.0.0.1:5434/postgres,redis://127.0.0.1:6390',
      }),
    ).toThrowError(/RJ_DATABASE_REPLICA_URLS \(entry 2\)/);
  });

  it('refuses replicas without their primary', () => {
    expect(() =>
      backendsFromEnvironment({ RJ_DATABASE_REPLICA_URLS: 'postgres://postgres@127.0.0.1:5434/postgres' }),
    ).toThrowError(/RJ_DATABASE_URL \(their primary\) is not set/);
  });
});
