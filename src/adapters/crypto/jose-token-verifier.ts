import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';

import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

import { AppError } from '../../errors';
import type { TokenVerifier } from '../../ports/token-verifier.port';

export type TokenKey =
  | { kind: 'secret'; secret: string }
  | { kind: 'public-key'; pem: string }
  | { kind: 'jwks'; url: string }
  | { kind: 'none' };

export interface TokenOptions {
  key: TokenKey;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Longest validity accepted: exp at most this far ahead, iat (when present) at most this old. */
  maxAgeSeconds: number;
}

const CLOCK_TOLERANCE_SECONDS = 5;

const SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const PUBLIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/**
 * The shared secret as one WebCrypto key per HS* algorithm, imported once. Handed a raw secret (or a
 * KeyObject), jose imports a CryptoKey on every verification: measured at about 6% of the sold-out path's
 * CPU. jose checks the token's alg against the allowed list before it asks for the key.
 */
function hmacKeys(secret: Buffer): JWTVerifyGetKey {
  const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
  return ({ alg }) => {
    if (!SECRET_ALGORITHMS.includes(alg)) throw new Error(`unexpected algorithm ${alg}`);
    let key = keys.get(alg);
    if (key === undefined) {
      key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify']);
      key.catch(() => keys.delete(alg)); // a failed import is tried again next time, not remembered
      keys.set(alg, key);
    }
    return key;
  };
}

/**
 * JWT verification with jose: an HS* shared secret, or an asymmetric public key (PEM), or a JWKS URL
 * (fetched and cached by jose). The algorithm list is pinned to the key's kind, so a token cannot choose
 * "none" or confuse a public key for an HMAC secret. An expiry is required, at most `maxAgeSeconds` ahead;
 * 5 s of clock tolerance.
 */
export class JoseTokenVerifier implements TokenVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey | null;
  private readonly algorithms: string[];

  constructor(private readonly options: TokenOptions) {
    const { key } = options;
    switch (key.kind) {
      case 'secret':
        this.key = hmacKeys(Buffer.from(key.secret, 'utf8'));
        this.algorithms = SECRET_ALGORITHMS;
        break;
      case 'public-key':
        this.key = createPublicKey(key.pem);
        this.algorithms = PUBLIC_ALGORITHMS;
        break;
      case 'jwks':
        this.key = createRemoteJWKSet(new URL(key.url));
        this.algorithms = PUBLIC_ALGORITHMS;
        break;
      case 'none':
        this.key = null;
        this.algorithms = [];
    }
  }

  async verify(token: string): Promise<{ userId: string }> {
    if (this.key === null) throw new AppError('INVALID_TOKEN', 'Token login is not enabled on this service.');
    try {
      const verifyOptions = {
        algorithms: this.algorithms,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        // A token without an expiry would be good for ever.
        requiredClaims: ['exp'],
        ...(this.options.issuer === undefined ? {} : { issuer: this.options.issuer }),
        ...(this.options.audience === undefined ? {} : { audience: this.options.audience }),
      };
      const { payload } =
        typeof this.key === 'function'
          ? await jwtVerify(token, this.key, verifyOptions)
          : await jwtVerify(token, this.key, verifyOptions);
      const { sub } = payload;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128 || /[\p{Cc}\p{Cf}]/u.test(sub)) {
        throw new AppError('INVALID_TOKEN', 'The token names no user (sub), or one with control characters.');
      }
      this.checkLifetime(payload.exp as number, payload.iat);
      return { userId: sub };
    } catch (error) {
      if (error instanceof AppError) throw error;
      // jose's message says what failed (expired, signature, claim) without echoing the token.
      throw new AppError('INVALID_TOKEN', undefined, { reason: (error as Error).message.slice(0, 120) });
    }
  }

  /** A stolen token is only good for so long: no exp far in the future, no iat far in the past. */
  private checkLifetime(exp: number, iat: number | undefined): void {
    const now = Date.now() / 1000;
    const longest = this.options.maxAgeSeconds + CLOCK_TOLERANCE_SECONDS;
    if (exp - now > longest) {
      throw new AppError('INVALID_TOKEN', undefined, { reason: 'the token is valid for longer than allowed (exp)' });
    }
    if (iat !== undefined && now - iat > longest) {
      throw new AppError('INVALID_TOKEN', undefined, { reason: 'the token was issued too long ago (iat)' });
    }
  }
}
