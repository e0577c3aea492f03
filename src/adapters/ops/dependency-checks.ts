import { withTimeout } from '../../application/support/dependency-call';

/** A dependency a process needs to do its work, and how to ask whether it answers. */
export interface DependencyCheck {
  name: string;
  ping(): Promise<unknown>;
}

export interface DependencyReport {
  ready: boolean;
  /** Each dependency by name: 'up' when it answered within the time allowed, else 'down'. */
  dependencies: Record<string, 'up' | 'down'>;
}

/** Asks every dependency at once, each within `timeoutMs`. */
export async function checkDependencies(
  checks: readonly DependencyCheck[],
  timeoutMs: number,
): Promise<DependencyReport> {
  const results = await Promise.all(
    checks.map(async ({ name, ping }) => {
      try {
        await withTimeout(ping(), timeoutMs, `${name} ping`);
        return [name, 'up'] as const;
      } catch {
        return [name, 'down'] as const;
      }
    }),
  );
  return { ready: results.every(([, state]) => state === 'up'), dependencies: Object.fromEntries(results) };
}
