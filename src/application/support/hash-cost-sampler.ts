import { createHash } from 'node:crypto';

import type { PasswordHasher } from '../../ports/password-hasher.port';
import type { UserDirectory } from '../../ports/user-directory.port';

/** How many stored hashes the unknown-account path imitates. */
const SAMPLE_SIZE = 64;
/** How long a sample is used before it is read again (hashes migrate to a new cost as owners log in). */
const SAMPLE_TTL_MS = 10 * 60 * 1000;

/**
 * Keeps an unknown account's check as costly as a real one's. After the cost is raised, stored hashes
 * have mixed costs until their owners log in again. So an unknown account is checked against a dummy
 * hash whose cost is drawn from a sample of stored hashes (accounts chosen by id, so nobody's logins
 * steer it), and always the same one for the same account name: probing an unknown name again and again
 * shows one steady cost, as a real account does.
 */
export class HashCostSampler {
  private sample: Promise<string[]> | undefined;
  private sampledAt = 0;
  private readonly dummies = new Map<string, Promise<string>>();

  constructor(
    private readonly users: UserDirectory,
    private readonly hasher: PasswordHasher,
    private readonly now: () => number = Date.now,
  ) {}

  /** A hash of no one's password, at the cost the sample assigns to this account name. */
  async dummyHashFor(account: string): Promise<string> {
    const parameters = await this.parameters();
    const pick = createHash('sha256').update(account.trim().toLowerCase()).digest().readUInt32BE(0);
    return this.dummyFor(parameters.length === 0 ? undefined : parameters[pick % parameters.length]);
  }

  private async parameters(): Promise<string[]> {
    if (this.sample === undefined || this.now() - this.sampledAt > SAMPLE_TTL_MS) {
      this.sampledAt = this.now();
      const read = this.users
        .samplePasswordHashes(SAMPLE_SIZE)
        .then((hashes) => hashes.map((hash) => this.hasher.parametersOf(hash)).filter((p): p is string => p !== null));
      read.catch(() => {
        this.sample = undefined; // read again on the next unknown account
      });
      this.sample = read;
    }
    return this.sample;
  }

  private dummyFor(parameters: string | undefined): Promise<string> {
    const key = parameters ?? 'current';
    let dummy = this.dummies.get(key);
    if (dummy === undefined) {
      dummy = this.hasher.hash('not-a-password-of-anyone', parameters);
      dummy.catch(() => this.dummies.delete(key));
      this.dummies.set(key, dummy);
    }
    return dummy;
  }
}
