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
      maxWaitMs: 2_000,
    });
    expect(config.rateLimits).toEqual({
      profile: 'standard',
      perIp: { points: 600, windowSeconds: 60 },
      perAccount: { points: 10, windowSeconds: 60 },
      failures: { allowed: 5, backoffSeconds: 900 },
      accountFailures: { allowed: 100 },
      knownAddressDays: 30,
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
    const production = { NODE_ENV: 'production', ADMIN_PASSWORD: 'Kx7#qLm2!vRt9@pZ' };
    expect(() => loadConfig({ ...production, PASSWORD_HASH_PROFILE: 'test' })).toThrow(/PASSWORD_HASH_PROFILE=test/);
    expect(() => loadConfig({ ...production, RATE_LIMIT_PROFILE: 'relaxed' })).toThrow(/RATE_LIMIT_PROFILE=relaxed/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_PASSWORD: must be set/);
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'admin-dev-password' })).toThrow(
      /ADMIN_PASSWORD/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'short' })).toThrow(/at least 16/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', PASSWORD_HASH_PROFILE: 'test', RATE_LIMIT_PROFILE: 'relaxed' }),
    ).toThrow(/PASSWORD_HASH_PROFILE[\s\S]*ADMIN_PASSWORD[\s\S]*RATE_LIMIT_PROFILE/);
    expect(loadConfig(production).env).toBe('production');
    expect(loadConfig({ NODE_ENV: 'test', PASSWORD_HASH_PROFILE: 'test' }).passwordHash.logN).toBe(10);
  });

  describe('production refusals that are not easy to sidestep', () => {
    const strong = 'Kx7#qLm2!vRt9@pZ';
    const production = (extra: Record<string, string>) => () =>
      loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: strong, ...extra });

    test.each([
      [
        'the development default with a trailing space',
        { ADMIN_PASSWORD: 'admin-dev-password ' },
        /ADMIN_PASSWORD: must be set, and not to the development default/,
      ],
      ['a leading space', { ADMIN_PASSWORD: ' Kx7#qLm2!vRt9@pZ' }, /ADMIN_PASSWORD: no leading or trailing spaces/],
      [
        'a 16-character repeated password',
        { ADMIN_PASSWORD: 'a'.repeat(16) },
        /ADMIN_PASSWORD: more varied characters/,
      ],
      ['a 16-character repeated pair', { ADMIN_PASSWORD: 'ab'.repeat(8) }, /ADMIN_PASSWORD: more varied characters/],
      ['the default in capitals', { ADMIN_PASSWORD: 'ADMIN-DEV-PASSWORD' }, /ADMIN_PASSWORD: no well-known word/],
      ['the default with underscores', { ADMIN_PASSWORD: 'admin_dev_password' }, /ADMIN_PASSWORD: no well-known word/],
      ['the demo users’ password', { ADMIN_PASSWORD: 'promo-demo-password' }, /ADMIN_PASSWORD: no well-known word/],
      ['a common password', { ADMIN_PASSWORD: 'Password1234!!!!' }, /ADMIN_PASSWORD: no well-known word/],
      ['a keyboard row', { ADMIN_PASSWORD: 'qwertyuiop123456' }, /ADMIN_PASSWORD/],
      ['the alphabet', { ADMIN_PASSWORD: 'abcdefghijklmnop' }, /ADMIN_PASSWORD: no run like/],
      ['12 characters', { ADMIN_PASSWORD: 'Kx7#qLm2!vRt' }, /ADMIN_PASSWORD: at least 16/],
      ['a zero-width space', { ADMIN_PASSWORD: '\u200bKx7#qLm2!vRt9@pZ' }, /ADMIN_PASSWORD: no control or invisible/],
      ['a control character', { ADMIN_PASSWORD: 'Kx7#qLm2\u0001vRt9@pZ' }, /ADMIN_PASSWORD: no control or invisible/],
      ['an alphabet token', { ADMIN_TOKEN: 'abcdefghijklmnopqrstuvwxyz0123456789' }, /ADMIN_TOKEN: no run like/],
      ['a pangram secret', { JWT_SECRET: 'thequickbrownfoxjumpsoverthelazydog' }, /JWT_SECRET: no well-known word/],
      ['the jwt.io example secret', { JWT_SECRET: 'your-256-bit-secret-your-256-bit-secret' }, /JWT_SECRET/],
      ['a JWKS over plain HTTP', { JWT_JWKS_URL: 'http://login.example/jwks.json' }, /JWT_JWKS_URL: https only/],
      [
        'a day-long window of points at the allowed rate',
        { RATE_LIMIT_IP_POINTS: '8640000', RATE_LIMIT_IP_WINDOW_SECONDS: '86400' },
        /RATE_LIMIT_\*_POINTS/,
      ],
      [
        'a long account window',
        { RATE_LIMIT_ACCOUNT_POINTS: '100000', RATE_LIMIT_ACCOUNT_WINDOW_SECONDS: '60000' },
        /RATE_LIMIT_\*_POINTS/,
      ],
      ['a repeated word', { ADMIN_PASSWORD: 'passwordpassword' }, /ADMIN_PASSWORD: more varied characters/],
      ['a 32-character aaaa… admin token', { ADMIN_TOKEN: 'a'.repeat(32) }, /ADMIN_TOKEN: more varied characters/],
      ['a 32-character aaaa… JWT secret', { JWT_SECRET: 'a'.repeat(32) }, /JWT_SECRET: more varied characters/],
      [
        'a repeated-unit JWT secret',
        { JWT_SECRET: '0123456789abcdef'.repeat(2) },
        /JWT_SECRET: more varied characters/,
      ],
      [
        'RATE_LIMIT_IP_POINTS=1e8',
        { RATE_LIMIT_IP_POINTS: '1e8' },
        /RATE_LIMIT_IP_\*: at most 100 attempts per second/,
      ],
      [
        'a per-address rate pushed up by a 1 s window',
        { RATE_LIMIT_IP_POINTS: '600', RATE_LIMIT_IP_WINDOW_SECONDS: '1' },
        /RATE_LIMIT_IP_\*/,
      ],
      ['RATE_LIMIT_ACCOUNT_POINTS=1000000', { RATE_LIMIT_ACCOUNT_POINTS: '1000000' }, /RATE_LIMIT_ACCOUNT_\*/],
      ['LOGIN_FAILURES_ALLOWED=1000', { LOGIN_FAILURES_ALLOWED: '1000' }, /LOGIN_FAILURES_ALLOWED: at most 20/],
      [
        'LOGIN_ACCOUNT_FAILURES_ALLOWED=1000000',
        { LOGIN_ACCOUNT_FAILURES_ALLOWED: '1000000' },
        /LOGIN_ACCOUNT_FAILURES_ALLOWED/,
      ],
      ['LOGIN_BACKOFF_SECONDS=1', { LOGIN_BACKOFF_SECONDS: '1' }, /LOGIN_BACKOFF_SECONDS: at least 60/],
    ])('%s is refused', (_, extra, message) => {
      expect(production(extra)).toThrow(message);
    });

    test.each([
      ['a random 16-character password', {}],
      ['a passphrase', { ADMIN_PASSWORD: 'correct horse battery staple' }],
      ['a JWKS over HTTPS', { JWT_JWKS_URL: 'https://login.example/jwks.json' }],
      [
        'a 64-character hex token and secret',
        {
          ADMIN_TOKEN: '6d4b2f8e0a1c3e5f7092b4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c',
          JWT_SECRET: '4f1e9a2c7b3d8e0f6a5c1b9d2e7f3a8c0b4d6e1f9a3c5b7d2e8f0a6c4b1d3e5f',
        },
      ],
      [
        'the limits at their production bounds',
        {
          RATE_LIMIT_IP_POINTS: '6000',
          RATE_LIMIT_ACCOUNT_POINTS: '100',
          LOGIN_FAILURES_ALLOWED: '20',
          LOGIN_BACKOFF_SECONDS: '60',
        },
      ],
    ])('%s is accepted', (_, extra) => {
      expect(production(extra)().env).toBe('production');
    });
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
