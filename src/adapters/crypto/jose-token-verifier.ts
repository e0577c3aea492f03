import { createHmac, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';

import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

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

/** The HMAC algorithms a shared secret verifies, with their node:crypto hash. */
const SECRET_ALGORITHMS: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const PUBLIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
/** A compact JWS segment: base64url without padding, as RFC 7515 writes it. */
const SEGMENT = /^[A-Za-z0-9_-]*$/;

class TokenRefused extends Error {}

/** A segment's JSON; a parse error's message would quote the token, so it is replaced. */
function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new TokenRefused('malformed token');
  }
}

/** Distinct token headers remembered with their hash: one issuer's tokens all carry the same header. */
const KNOWN_HEADERS = 16;

/**
 * Compact HS256/384/512 JWSs, verified with node:crypto's HMAC, synchronously. jose verifies HMAC through
 * WebCrypto, whose every call is an asynchronous job: measured at 17% of the sold-out path's CPU, where
 * this costs about 2 µs. The header must name one of the HMAC algorithms, and carry no `crit` extension
 * (none is understood here, so RFC 7515 requires refusing it); an accepted header is remembered by its
 * exact text, so the next token with that header skips decoding it. Returns the payload, claims not yet
 * checked.
 */
class HmacJws {
  private readonly hashes = new Map<string, string>();

  constructor(private readonly secret: Buffer) {}

  verify(token: string): JWTPayload {
    const first = token.indexOf('.');
    const second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (second < 0 || token.includes('.', second + 1)) throw new TokenRefused('malformed token');
    const header = token.slice(0, first);
    const payload = token.slice(first + 1, second);
    const signature = token.slice(second + 1);
    if (!SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) {
      throw new TokenRefused('malformed token');
    }
    const expected = createHmac(this.hashOf(header), this.secret).update(token.slice(0, second)).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new TokenRefused('signature verification failed');
    }
    const claims = decodeJson(payload);
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw new TokenRefused('invalid payload');
    }
    return claims as JWTPayload;
  }

  private hashOf(header: string): string {
    const known = this.hashes.get(header);
    if (known !== undefined) return known;
    const protectedHeader = decodeJson(header) as { alg?: unknown; crit?: unknown } | null;
    const hash = typeof protectedHeader?.alg === 'string' ? SECRET_ALGORITHMS[protectedHeader.alg] : undefined;
    if (hash === undefined) throw new TokenRefused('unexpected algorithm');
    if (protectedHeader?.crit !== undefined) throw new TokenRefused('unsupported crit header');
    if (this.hashes.size < KNOWN_HEADERS) this.hashes.set(header, hash);
    return hash;
  }
}

/** A failed check as INVALID_TOKEN: the message says what failed (expired, signature, claim), never the token. */
function refusal(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError('INVALID_TOKEN', undefined, { reason: (error as Error).message.slice(0, 120) });
}

/**
 * JWT verification: an HS* shared secret (verified here, with node:crypto), or an asymmetric public key
 * (PEM) or a JWKS URL (fetched and cached by jose, which verifies those). The algorithm list is pinned to
 * the key's kind, so a token cannot choose "none" or confuse a public key for an HMAC secret. The claims
 * are then checked the same way for every kind: an expiry is required, at most `maxAgeSeconds` ahead; an
 * iat at most that old; nbf, issuer and audience when present or configured; 5 s of clock tolerance.
 */
export class JoseTokenVerifier implements TokenVerifier {
  private readonly hmac: HmacJws | null = null;
  private readonly key: KeyObject | JWTVerifyGetKey | null = null;

  constructor(private readonly options: TokenOptions) {
    const { key } = options;
    if (key.kind === 'secret') this.hmac = new HmacJws(Buffer.from(key.secret, 'utf8'));
    if (key.kind === 'public-key') this.key = createPublicKey(key.pem);
    if (key.kind === 'jwks') this.key = createRemoteJWKSet(new URL(key.url));
  }

  async verify(token: string): Promise<{ userId: string }> {
    const atOnce = this.verifyAtOnce(token);
    if (atOnce !== undefined) return atOnce;
    try {
      return { userId: this.checkClaims(await this.verifyPublic(token)) };
    } catch (error) {
      throw refusal(error);
    }
  }

  /** A shared secret's tokens are checked here and now; a public key's (jose, asynchronous) are not. */
  verifyAtOnce(token: string): { userId: string } | undefined {
    if (this.hmac === null && this.key === null) {
      throw new AppError('INVALID_TOKEN', 'Token login is not enabled on this service.');
    }
    if (this.hmac === null) return undefined;
    try {
      return { userId: this.checkClaims(this.hmac.verify(token)) };
    } catch (error) {
      throw refusal(error);
    }
  }

  private async verifyPublic(token: string): Promise<JWTPayload> {
    const options = { algorithms: PUBLIC_ALGORITHMS, clockTolerance: CLOCK_TOLERANCE_SECONDS };
    const { payload } =
      typeof this.key === 'function'
        ? await jwtVerify(token, this.key, options)
        : await jwtVerify(token, this.key as KeyObject, options);
    return payload;
  }

  /** Every claim check, for every kind of key; returns the user (sub). */
  private checkClaims(payload: JWTPayload): string {
    const now = Date.now() / 1000;
    const tolerance = CLOCK_TOLERANCE_SECONDS;
    const { exp, nbf, iat, iss, aud, sub } = payload;
    // A token without an expiry would be good for ever.
    if (typeof exp !== 'number') throw new TokenRefused('missing required "exp" claim');
    if (now - tolerance >= exp) throw new TokenRefused('"exp" claim timestamp check failed');
    if (nbf !== undefined && (typeof nbf !== 'number' || now + tolerance < nbf)) {
      throw new TokenRefused('"nbf" claim timestamp check failed');
    }
    if (iat !== undefined && typeof iat !== 'number') throw new TokenRefused('"iat" claim must be a number');
    const { issuer, audience } = this.options;
    if (issuer !== undefined && iss !== issuer) throw new TokenRefused('unexpected "iss" claim value');
    if (audience !== undefined && !(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) {
      throw new TokenRefused('unexpected "aud" claim value');
    }
    // A stolen token is only good for so long: no exp far in the future, no iat far in the past.
    const longest = this.options.maxAgeSeconds + tolerance;
    if (exp - now > longest) throw new TokenRefused('the token is valid for longer than allowed (exp)');
    if (iat !== undefined && now - iat > longest) throw new TokenRefused('the token was issued too long ago (iat)');
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128 || /[\p{Cc}\p{Cf}]/u.test(sub)) {
      throw new AppError('INVALID_TOKEN', 'The token names no user (sub), or one with control characters.');
    }
    return sub;
  }
}
