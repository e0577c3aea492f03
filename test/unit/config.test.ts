import { availableParallelism } from 'node:os';

import { databaseName, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('defaults give a working development configuration', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.passwordHash).toEqual({
      profile: 'standard',
      logN: 15,
      r: 8,
      p: 1,
      maxConcurrent: availableParallelism(),
      maxWaiting: 256,
    });
    expect(config.rateLimits).toEqual({
      profile: 'standard',
      perIp: { points: 600, windowSeconds: 60 },
      perAccount: { points: 10, windowSeconds: 60 },
      failures: { allowed: 5, backoffSeconds: 900 },
    });
    expect(config.redis.keyPrefix).toBe('promo');
  });

  test('reports every invalid variable by name without echoing its value', () => {
    expect(() =>
      loadConfig({ PORT: 'eighty', MONGO_URL: 'mongodb://user:s3cret@db:27017', REDIS_URL: 'http://x' }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/PORT[\s\S]*MONGO_URL[\s\S]*REDIS_URL/),
      }),
    );
    try {
      loadConfig({ MONGO_URL: 'mongodb://user:s3cret@db:27017' });
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  test('production refuses development settings, naming each one', () => {
    const production = { NODE_ENV: 'production', ADMIN_PASSWORD: 'a-long-operator-secret' };
    expect(() => loadConfig({ ...production, PASSWORD_HASH_PROFILE: 'test' })).toThrow(/PASSWORD_HASH_PROFILE=test/);
    expect(() => loadConfig({ ...production, RATE_LIMIT_PROFILE: 'relaxed' })).toThrow(/RATE_LIMIT_PROFILE=relaxed/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_PASSWORD: must be set/);
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'admin-dev-password' })).toThrow(
      /ADMIN_PASSWORD/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'short' })).toThrow(/at least 12/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', PASSWORD_HASH_PROFILE: 'test', RATE_LIMIT_PROFILE: 'relaxed' }),
    ).toThrow(/PASSWORD_HASH_PROFILE[\s\S]*ADMIN_PASSWORD[\s\S]*RATE_LIMIT_PROFILE/);
    expect(loadConfig(production).env).toBe('production');
    expect(loadConfig({ NODE_ENV: 'test', PASSWORD_HASH_PROFILE: 'test' }).passwordHash.logN).toBe(10);
  });

  test('rate limits come from a profile, each value overridable', () => {
    const config = loadConfig({ RATE_LIMIT_PROFILE: 'relaxed', RATE_LIMIT_ACCOUNT_POINTS: '3' });
    expect(config.rateLimits.perAccount).toEqual({ points: 3, windowSeconds: 60 });
    expect(config.rateLimits.perIp.points).toBe(1_000_000_000);
  });

  test('SCRYPT_LOG_N can raise the cost, never lower it below the profile', () => {
    expect(loadConfig({ SCRYPT_LOG_N: '17' }).passwordHash.logN).toBe(17);
    expect(loadConfig({ SCRYPT_LOG_N: '12' }).passwordHash.logN).toBe(15);
  });

  test('the database comes from the URL path', () => {
    expect(databaseName('mongodb://a:1,b:2/promo?replicaSet=rs0')).toBe('promo');
    expect(databaseName('mongodb+srv://u:p@cluster.example/prod')).toBe('prod');
    expect(databaseName('mongodb://host:27017')).toBe('');
  });
});
