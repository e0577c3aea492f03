import { databaseName, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('defaults give a working development configuration', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.passwordHash).toEqual({ profile: 'standard', logN: 15, r: 8, p: 1 });
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

  test('the cheap test hashing profile is refused in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PASSWORD_HASH_PROFILE: 'test' })).toThrow(
      /refused in production/,
    );
    expect(loadConfig({ NODE_ENV: 'test', PASSWORD_HASH_PROFILE: 'test' }).passwordHash.logN).toBe(10);
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
