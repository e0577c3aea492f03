import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

import type { PasswordHasher } from '../../ports/password-hasher.port';

export interface ScryptCost {
  /** log2 of N, the CPU/memory cost. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// $scrypt$ln=15,r=8,p=1$<salt, base64>$<hash, base64>, the PHC string format.
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function derive(password: string, salt: Buffer, cost: ScryptCost, keyBytes: number): Promise<Buffer> {
  const N = 2 ** cost.logN;
  const options: ScryptOptions = { N, r: cost.r, p: cost.p };
  // Node refuses more than 32 MiB by default; scrypt needs 128 * N * r bytes (exactly 32 MiB at N = 2^15).
  const needed = 128 * N * cost.r;
  if (needed >= 32 * 1024 * 1024) options.maxmem = needed * 2;
  return new Promise((resolve, reject) => {
    // The async API runs on libuv's thread pool, off the event loop.
    scrypt(password, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const b64 = (buffer: Buffer): string => buffer.toString('base64').replace(/=+$/, '');

function costOf(parameters: string): ScryptCost | null {
  const match = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})$/.exec(parameters);
  return match === null ? null : { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
}

const describe = ({ logN, r, p }: ScryptCost): string => `scrypt$ln=${logN},r=${r},p=${p}`;

/**
 * scrypt from node:crypto. Hashes carry their parameters, so raising the cost later leaves existing
 * hashes verifiable, and a login can tell that its hash is due for the new cost.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly cost: ScryptCost) {}

  async hash(password: string, parameters?: string): Promise<string> {
    const cost = (parameters === undefined ? null : costOf(parameters)) ?? this.cost;
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, cost, KEY_BYTES);
    return `$${describe(cost)}$${b64(salt)}$${b64(key)}`;
  }

  async verify(password: string, storedHash: string): Promise<boolean> {
    const match = PHC.exec(storedHash);
    if (match === null) return false;
    const [, logN, r, p, salt, expected] = match as unknown as [string, string, string, string, string, string];
    const expectedKey = Buffer.from(expected, 'base64');
    const cost = { logN: Number(logN), r: Number(r), p: Number(p) };
    const key = await derive(password, Buffer.from(salt, 'base64'), cost, expectedKey.length);
    return key.length === expectedKey.length && timingSafeEqual(key, expectedKey);
  }

  parametersOf(storedHash: string): string | null {
    const match = PHC.exec(storedHash);
    return match === null ? null : describe({ logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) });
  }

  needsRehash(storedHash: string): boolean {
    return this.parametersOf(storedHash) !== describe(this.cost);
  }
}
