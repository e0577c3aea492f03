import { generateKeyPairSync } from 'node:crypto';

import { SignJWT } from 'jose';

import { JoseTokenVerifier } from '../../src/adapters/crypto/jose-token-verifier';

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const key = new TextEncoder().encode(SECRET);
const sign = (
  claims: Record<string, unknown>,
  options: { alg?: string; expiresIn?: string; secret?: Uint8Array } = {},
) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.secret ?? key);

describe('JoseTokenVerifier with a shared secret', () => {
  const verifier = new JoseTokenVerifier({
    key: { kind: 'secret', secret: SECRET },
    issuer: 'login',
    audience: 'promotion',
    maxAgeSeconds: 3_600,
  });

  test('a refusal never quotes the token', async () => {
    const error = await verifier
      .verify(`${Buffer.from('{"alg":"HS256", SECRET-ISH').toString('base64url')}.e30.abc`)
      .catch((e: unknown) => e);
    expect(JSON.stringify(error)).not.toContain('SECRET-ISH');
    expect(error).toMatchObject({ code: 'INVALID_TOKEN', details: { reason: 'malformed token' } });
  });

  test('a valid token names its sub as the user', async () => {
    const token = await sign({ sub: 'user-42', iss: 'login', aud: 'promotion' });
    expect(await verifier.verify(token)).toEqual({ userId: 'user-42' });
  });

  test('a token valid for exactly the maximum age is accepted', async () => {
    const token = await sign({ sub: 'user-43', iss: 'login', aud: 'promotion' }, { expiresIn: '1h' });
    expect(await verifier.verify(token)).toEqual({ userId: 'user-43' });
  });

  test.each(['HS256', 'HS384', 'HS512'])(
    '%s tokens verify, again and again (one imported key per algorithm)',
    async (alg) => {
      for (const sub of ['first', 'second']) {
        const token = await sign({ sub, iss: 'login', aud: 'promotion' }, { alg });
        expect(await verifier.verify(token)).toEqual({ userId: sub });
      }
    },
  );

  test.each([
    [
      'another secret',
      () => sign({ sub: 'u', iss: 'login', aud: 'promotion' }, { secret: new TextEncoder().encode('x'.repeat(40)) }),
    ],
    ['expired', () => sign({ sub: 'u', iss: 'login', aud: 'promotion' }, { expiresIn: '-1m' })],
    ['another issuer', () => sign({ sub: 'u', iss: 'elsewhere', aud: 'promotion' })],
    ['another audience', () => sign({ sub: 'u', iss: 'login', aud: 'other' })],
    ['no sub', () => sign({ iss: 'login', aud: 'promotion' })],
    [
      'no expiry',
      () => new SignJWT({ sub: 'u', iss: 'login', aud: 'promotion' }).setProtectedHeader({ alg: 'HS256' }).sign(key),
    ],
    ['garbage', async () => 'not.a.token'],
    [
      'not yet valid (nbf an hour ahead)',
      () => sign({ sub: 'u', iss: 'login', aud: 'promotion', nbf: Math.floor(Date.now() / 1000) + 3_600 }),
    ],
    [
      'a crit header no one understands',
      async () => {
        const header = Buffer.from('{"alg":"HS256","crit":["x-custom"],"x-custom":1}').toString('base64url');
        const exp = Math.floor(Date.now() / 1000) + 300;
        const body = Buffer.from(JSON.stringify({ sub: 'u', iss: 'login', aud: 'promotion', exp })).toString(
          'base64url',
        );
        const { createHmac } = await import('node:crypto');
        return `${header}.${body}.${createHmac('sha256', key).update(`${header}.${body}`).digest('base64url')}`;
      },
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await sign({ sub: 'u', iss: 'login', aud: 'promotion' })).split('.');
        const forged = Buffer.from(JSON.stringify({ sub: 'admin', iss: 'login', aud: 'promotion', exp: 9e9 })).toString(
          'base64url',
        );
        return `${h}.${forged}.${s}`;
      },
    ],
    [
      'a signature with padding or other characters',
      async () => `${await sign({ sub: 'u', iss: 'login', aud: 'promotion' })}=`,
    ],
    [
      'a payload that is not an object',
      async () => {
        const header = Buffer.from('{"alg":"HS256"}').toString('base64url');
        const body = Buffer.from('[1,2]').toString('base64url');
        const { createHmac } = await import('node:crypto');
        return `${header}.${body}.${createHmac('sha256', key).update(`${header}.${body}`).digest('base64url')}`;
      },
    ],
    ['a header that is not JSON', async () => `e30x.${Buffer.from('{}').toString('base64url')}.abc`],
    [
      'valid for longer than the maximum age (exp 1e20)',
      () =>
        new SignJWT({ sub: 'u', iss: 'login', aud: 'promotion', exp: 1e20 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(key),
    ],
    ['valid for 2 h with a 1 h maximum', () => sign({ sub: 'u', iss: 'login', aud: 'promotion' }, { expiresIn: '2h' })],
    [
      'issued longer ago than the maximum age',
      () =>
        new SignJWT({ sub: 'u', iss: 'login', aud: 'promotion' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt(Math.floor(Date.now() / 1000) - 7_200)
          .setExpirationTime('5m')
          .sign(key),
    ],
    [
      'an RS256 token',
      () =>
        new SignJWT({ sub: 'u', iss: 'login', aud: 'promotion' })
          .setProtectedHeader({ alg: 'RS256' })
          .setExpirationTime('5m')
          .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    ],
    [
      'alg none',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}.`,
    ],
  ])('%s is refused with INVALID_TOKEN', async (_, make) => {
    await expect(verifier.verify(await make())).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });
});

test('verifyAtOnce: the same user or the same refusal as verify, for every token, header known or not', async () => {
  const verifier = new JoseTokenVerifier({ key: { kind: 'secret', secret: SECRET }, maxAgeSeconds: 3_600 });
  const outcome = async (check: () => unknown) => {
    try {
      return { userId: ((await check()) as { userId: string }).userId };
    } catch (error) {
      return { code: (error as { code?: string }).code, details: (error as { details?: unknown }).details };
    }
  };
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u","exp":9999999999}').toString('base64url')}.`;
  const tokens = [
    await sign({ sub: 'user-1' }),
    await sign({ sub: 'user-2' }, { alg: 'HS512' }),
    await sign({ sub: 'user-3' }, { secret: new TextEncoder().encode('y'.repeat(40)) }),
    await sign({ sub: 'user-4' }, { expiresIn: '-1m' }),
    none,
    `${(await sign({ sub: 'user-5' })).split('.').slice(0, 2).join('.')}.`,
    'a.b',
    'a.b.c.d',
  ];
  // Twice over: the second time every accepted header is a known one.
  for (const token of [...tokens, ...tokens]) {
    const atOnce = await outcome(() => verifier.verifyAtOnce(token));
    expect(atOnce).toEqual(await outcome(() => verifier.verify(token)));
  }
  expect(await outcome(() => verifier.verifyAtOnce(tokens[0] as string))).toEqual({ userId: 'user-1' });
  expect(await outcome(() => verifier.verifyAtOnce(none))).toMatchObject({ code: 'INVALID_TOKEN' });
});

test('verifyAtOnce gives way to verify for a public key; with no key it refuses like verify', async () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const verifier = new JoseTokenVerifier({ key: { kind: 'public-key', pem }, maxAgeSeconds: 3_600 });
  expect(verifier.verifyAtOnce(await sign({ sub: 'u' }))).toBeUndefined();
  const off = new JoseTokenVerifier({ key: { kind: 'none' }, maxAgeSeconds: 3_600 });
  expect(() => off.verifyAtOnce('a.b.c')).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
});

test('a public key verifies RS256 tokens and refuses HMAC tokens made with the key as secret', async () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const verifier = new JoseTokenVerifier({ key: { kind: 'public-key', pem }, maxAgeSeconds: 3_600 });
  const rs = await new SignJWT({ sub: 'user-7' })
    .setProtectedHeader({ alg: 'RS256' })
    .setExpirationTime('5m')
    .sign(privateKey);
  expect(await verifier.verify(rs)).toEqual({ userId: 'user-7' });
  const confused = await sign({ sub: 'user-7' }, { secret: new TextEncoder().encode(pem) });
  await expect(verifier.verify(confused)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
});

test('with no key configured, token login is off', async () => {
  await expect(
    new JoseTokenVerifier({ key: { kind: 'none' }, maxAgeSeconds: 3_600 }).verify(await sign({ sub: 'u' })),
  ).rejects.toMatchObject({
    code: 'INVALID_TOKEN',
  });
});
