import type { LoginLimits } from '../../src/adapters/redis/redis-login-throttle';
import { AppError } from '../../src/errors';
import type { LoginAttempt, LoginThrottle } from '../../src/ports/login-throttle.port';

export interface LoginThrottleSubject {
  throttle: LoginThrottle;
  /** Lets `ms` go by (a real wait for a real store, a step of the clock for a fake). */
  pass(ms: number): Promise<void>;
}

const LIMITS: LoginLimits = {
  perIp: { points: 100, windowSeconds: 60 },
  perAccount: { points: 100, windowSeconds: 60 },
  failures: { allowed: 3, backoffSeconds: 60 },
  accountFailures: { allowed: 100 },
  knownAddressDays: 30,
};

/** Limits for one test: the defaults above with some replaced (each part whole). */
function limits(changes: Partial<LoginLimits>): LoginLimits {
  return { ...LIMITS, ...changes };
}

/** Expects RATE_LIMITED with a Retry-After between 1 s and `withinSeconds`. */
async function expectRefused(attempt: Promise<void>, withinSeconds: number): Promise<void> {
  const error = await attempt.then(
    () => new Error('admitted'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('RATE_LIMITED');
  const retryAfter = (error as AppError).details?.retryAfterSeconds;
  expect(retryAfter).toEqual(expect.any(Number));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(withinSeconds);
}

const HOME = '198.51.100.1';
const AWAY = '198.51.100.2';
const ELSEWHERE = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'] as const;
const NEW = '203.0.113.5';

/**
 * What every LoginThrottle must do; run against the in-memory fake and the Redis adapter alike. `subject`
 * builds a throttle with the given limits, its counts its own (nothing shared with another test).
 */
export function loginThrottleContract(name: string, subject: (limits: LoginLimits) => LoginThrottleSubject): void {
  describe(`LoginThrottle contract: ${name}`, () => {
    test('an address past its limit is refused whatever the account; other addresses are not', async () => {
      const { throttle } = subject(limits({ perIp: { points: 4, windowSeconds: 60 } }));
      for (const account of ['a', 'b', 'c', 'd']) await throttle.admit({ account, clientIp: HOME });
      await expectRefused(throttle.admit({ account: 'e', clientIp: HOME }), 60);
      await throttle.admit({ account: 'e', clientIp: AWAY });
    });

    test('an account past its limit from one address is refused there, not elsewhere nor for other accounts', async () => {
      const { throttle } = subject(limits({ perAccount: { points: 3, windowSeconds: 60 } }));
      for (let i = 0; i < 3; i++) await throttle.admit({ account: 'alice', clientIp: AWAY });
      await expectRefused(throttle.admit({ account: 'alice', clientIp: AWAY }), 60);
      await throttle.admit({ account: 'alice', clientIp: HOME });
      await throttle.admit({ account: 'bob', clientIp: AWAY });
    });

    test('repeated wrong passwords back off the account from that address only', async () => {
      const { throttle } = subject(LIMITS);
      const attacker = { account: 'alice', clientIp: AWAY };
      for (let i = 0; i < 2; i++) {
        await throttle.admit(attacker);
        await throttle.recordFailure(attacker);
      }
      await throttle.admit(attacker); // two wrong passwords: not yet
      await throttle.recordFailure(attacker);
      await expectRefused(throttle.admit(attacker), 60);
      await throttle.admit({ account: 'alice', clientIp: HOME }); // the owner, from their own address
      await throttle.admit({ account: 'bob', clientIp: AWAY });
    });

    test("the right password forgets that address's wrong passwords for the account", async () => {
      const { throttle } = subject(LIMITS);
      const owner = { account: 'alice', clientIp: HOME };
      await throttle.recordFailure(owner);
      await throttle.recordFailure(owner);
      await throttle.recordSuccess(owner);
      await throttle.recordFailure(owner);
      await throttle.recordFailure(owner);
      await throttle.admit(owner); // two since the success
      await throttle.recordFailure(owner);
      await expectRefused(throttle.admit(owner), 60);
    });

    test('an account with too many wrong passwords from everywhere is closed to new addresses, not to known ones', async () => {
      const { throttle } = subject(limits({ accountFailures: { allowed: 4 } }));
      await throttle.recordSuccess({ account: 'alice', clientIp: HOME });
      const [first, second, third, fourth] = ELSEWHERE;
      for (const clientIp of [first, second, third]) await throttle.recordFailure({ account: 'alice', clientIp });
      await throttle.admit({ account: 'alice', clientIp: NEW }); // three in all: not yet
      await throttle.recordFailure({ account: 'alice', clientIp: fourth });
      await expectRefused(throttle.admit({ account: 'alice', clientIp: NEW }), 60);
      await expectRefused(throttle.admit({ account: 'alice', clientIp: first }), 60); // one wrong password there
      await throttle.admit({ account: 'alice', clientIp: HOME }); // it logged in from here before
      await throttle.admit({ account: 'bob', clientIp: NEW });
    });

    test('attempts checked at once cannot together pass the back-off: each admitted one holds a place until settled', async () => {
      const { throttle } = subject(LIMITS); // 3 wrong passwords allowed per account and address
      // One attempt object per login, as a login passes the same one from admit to its outcome.
      const attempt = (clientIp: string): LoginAttempt => ({ account: 'alice', clientIp });
      const checks = [attempt(AWAY), attempt(AWAY), attempt(AWAY)];
      for (const check of checks) await throttle.admit(check); // three checks in flight
      const inProgress = await throttle.admit(attempt(AWAY)).catch((error: AppError) => error);
      expect(inProgress).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 1 } });
      expect((inProgress as AppError).details).toMatchObject({ reason: 'too many password checks in progress' });
      const owner = attempt(HOME);
      await throttle.admit(owner); // the owner, elsewhere, is not held up
      await throttle.release(checks[0] as LoginAttempt); // not checked after all: its place is free again
      await throttle.release(checks[0] as LoginAttempt); // and given back once only
      const fourth = attempt(AWAY);
      await throttle.admit(fourth);
      await expectRefused(throttle.admit(attempt(AWAY)), 1);
      for (const check of [checks[1], checks[2], fourth]) await throttle.recordFailure(check as LoginAttempt);
      await expectRefused(throttle.admit(attempt(AWAY)), 60); // backed off now, not "in progress"
      await throttle.recordSuccess(owner);
      await throttle.admit(attempt(HOME));
    });

    test('attempts checked at once cannot together pass the account-wide cap; known addresses are not held up', async () => {
      const { throttle } = subject(limits({ accountFailures: { allowed: 2 } }));
      const attempt = (clientIp: string): LoginAttempt => ({ account: 'alice', clientIp });
      await throttle.recordSuccess(attempt(HOME));
      const [first, second, third] = ELSEWHERE.map(attempt);
      await throttle.admit(first as LoginAttempt);
      await throttle.admit(second as LoginAttempt);
      await expect(throttle.admit(third as LoginAttempt)).rejects.toMatchObject({
        details: { reason: 'too many password checks in progress for this account', retryAfterSeconds: 1 },
      });
      const owner = attempt(HOME);
      await throttle.admit(owner); // it holds a place too, until settled
      await throttle.recordSuccess(owner);
      await throttle.recordSuccess(first as LoginAttempt); // a right password: its place is free
      await throttle.admit(third as LoginAttempt);
    });

    test('a back-off lasts its whole window from the wrong password that reaches the limit', async () => {
      const { throttle, pass } = subject(limits({ failures: { allowed: 2, backoffSeconds: 2 } }));
      const attacker = { account: 'alice', clientIp: AWAY };
      await throttle.recordFailure(attacker); // the window starts
      await pass(1_500);
      await throttle.recordFailure(attacker); // the limit: the back-off starts here, for 2 s
      await pass(1_000); // past the first window's end
      await expectRefused(throttle.admit(attacker), 2);
      await pass(1_200);
      await throttle.admit(attacker);
    });

    test('names are the accounts the directory finds: "Alice" and "alice" are two, counted apart', async () => {
      const { throttle } = subject(LIMITS);
      for (let i = 0; i < 3; i++) await throttle.recordFailure({ account: 'alice', clientIp: AWAY });
      await expectRefused(throttle.admit({ account: ' alice ', clientIp: AWAY }), 60); // trimmed, as the edge does
      await throttle.recordSuccess({ account: 'Alice', clientIp: AWAY }); // another account's right password
      await expectRefused(throttle.admit({ account: 'alice', clientIp: AWAY }), 60); // clears nothing of alice's
      await throttle.admit({ account: 'ALICE', clientIp: AWAY });
    });

    test('a back-off ends when its Retry-After says', async () => {
      const { throttle, pass } = subject(limits({ failures: { allowed: 3, backoffSeconds: 1 } }));
      const attacker = { account: 'alice', clientIp: AWAY };
      for (let i = 0; i < 3; i++) await throttle.recordFailure(attacker);
      await expectRefused(throttle.admit(attacker), 1);
      await pass(1_100);
      await throttle.admit(attacker);
    });

    test('token logins: a budget per user from any address, apart from password accounts, with no back-off', async () => {
      const { throttle } = subject(limits({ perAccount: { points: 3, windowSeconds: 60 } }));
      for (const clientIp of [HOME, AWAY, HOME]) await throttle.admitToken({ userId: 'user-1', clientIp });
      await expectRefused(throttle.admitToken({ userId: 'user-1', clientIp: NEW }), 60);
      await throttle.admitToken({ userId: 'user-2', clientIp: HOME });
      // A password account of the same name has a budget of its own, and its wrong passwords are no token's.
      for (let i = 0; i < 3; i++) await throttle.recordFailure({ account: 'user-2', clientIp: HOME });
      await throttle.admit({ account: 'user-1', clientIp: HOME });
      await throttle.admitToken({ userId: 'user-2', clientIp: HOME });
    });

    test('a token login counted at once counts against the same limits as admitToken, or counts nothing', async () => {
      const { throttle } = subject(
        limits({ perIp: { points: 4, windowSeconds: 60 }, perAccount: { points: 2, windowSeconds: 60 } }),
      );
      /** At once when the throttle can decide here, else as admitToken: the same count either way. */
      const admit = async (attempt: { userId: string; clientIp: string }): Promise<void> => {
        if (!throttle.admitTokenAtOnce(attempt)) await throttle.admitToken(attempt);
      };
      await admit({ userId: 'user-1', clientIp: HOME });
      await throttle.admitToken({ userId: 'user-2', clientIp: HOME });
      await admit({ userId: 'user-3', clientIp: HOME });
      await throttle.admit({ account: 'a', clientIp: HOME });
      // The address's fifth attempt, asked either way, is refused; a refusal at once is an AppError too.
      await expectRefused(admit({ userId: 'user-4', clientIp: HOME }), 60);
      await expectRefused(throttle.admitToken({ userId: 'user-4', clientIp: HOME }), 60);
      // The per-user budget: user-1's third attempt from anywhere is refused.
      await admit({ userId: 'user-1', clientIp: AWAY });
      await expectRefused(admit({ userId: 'user-1', clientIp: NEW }), 60);
      await admit({ userId: 'user-5', clientIp: NEW });
    });

    test('token and password logins share the per-address limit', async () => {
      const { throttle } = subject(limits({ perIp: { points: 4, windowSeconds: 60 } }));
      await throttle.admit({ account: 'a', clientIp: HOME });
      await throttle.admitToken({ userId: 'user-1', clientIp: HOME });
      await throttle.admit({ account: 'b', clientIp: HOME });
      await throttle.admitToken({ userId: 'user-2', clientIp: HOME });
      await expectRefused(throttle.admitToken({ userId: 'user-3', clientIp: HOME }), 60);
      await expectRefused(throttle.admit({ account: 'c', clientIp: HOME }), 60);
      await throttle.admitToken({ userId: 'user-3', clientIp: AWAY });
    });
  });
}
