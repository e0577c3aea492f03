import type { PasswordHasher } from '../ports/password-hasher.port';
import type { UserDirectory } from '../ports/user-directory.port';

/** How many recent real hashes the unknown-account path imitates. */
const SAMPLE_SIZE = 64;

/**
 * Keeps an unknown account's check exactly as costly as a real one's. After the cost is raised, most
 * stored hashes keep their old cost until their owners log in again; a dummy at the new cost would make
 * unknown accounts measurably slower. So the dummy is drawn from the parameters of real hashes seen
 * lately (first read from the directory, then from every real login), one dummy hash per parameter set.
 */
export class HashCostSampler {
  private readonly recent: string[] = [];
  private next = 0;
  private readonly dummies = new Map<string, Promise<string>>();
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly users: UserDirectory,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Notes a real account's stored hash (and prepares a dummy of its cost); returns it unchanged. */
  seen(storedHash: string): string {
    const parameters = this.hasher.parametersOf(storedHash);
    if (parameters !== null) {
      this.recent[this.next] = parameters;
      this.next = (this.next + 1) % SAMPLE_SIZE;
      void this.dummyFor(parameters); // computed now, so it is ready when an unknown account needs it
    }
    return storedHash;
  }

  /** A hash of no one's password, at a cost drawn from the real hashes seen lately. */
  async dummyHash(): Promise<string> {
    this.loaded ??= this.users.recentPasswordHashes(SAMPLE_SIZE).then(
      (hashes) => {
        if (this.recent.length === 0) for (const hash of hashes) this.seen(hash);
      },
      () => {
        this.loaded = undefined; // try again on the next unknown account
      },
    );
    await this.loaded;
    const parameters = this.recent[Math.floor(Math.random() * this.recent.length)];
    return this.dummyFor(parameters);
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
