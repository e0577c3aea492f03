import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { campaignKeys } from '../../src/adapters/redis/keys';
import type { Answer, FaultRig } from './fault-rig';

export interface Outcomes {
  winners: number;
  vouchers: number;
  /** "won"/"already_won" answers whose (user, slot) is not a recorded winner. */
  lostWinners: number;
  /** Slots never filled although demand exceeded the limit. */
  lostSlots: number;
  duplicateVouchers: number;
  winnersWithoutVoucher: number;
  /** Every violated promise, in words; empty when all hold. */
  violations: string[];
}

/**
 * The promises, checked against the database after the dust settled:
 * winners <= limit; winners = limit when demand exceeded it; every winner has exactly one voucher and every
 * voucher a winner; every winning answer names a recorded winner and its slot.
 */
export async function checkPromises(
  rig: FaultRig,
  campaignId: string,
  limit: number,
  demand: number,
  answers: readonly Answer[],
): Promise<Outcomes> {
  const winners = await rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId }).toArray());
  const vouchers = await rig.read((db) => db.collection(COLLECTIONS.vouchers).find({ campaignId }).toArray());
  const winnerByUser = new Map(winners.map((w) => [w.userId as string, w.slot as number]));
  const vouchersByUser = new Map<string, number>();
  for (const v of vouchers) vouchersByUser.set(v.userId as string, (vouchersByUser.get(v.userId as string) ?? 0) + 1);

  let lostWinners = 0;
  for (const { status, body } of answers) {
    const result = body.campaigns?.find((c) => c.campaignId === campaignId);
    if (status !== 200 || (result?.outcome !== 'won' && result?.outcome !== 'already_won')) continue;
    if (winnerByUser.get(body.userId as string) !== result.slot) lostWinners += 1;
  }
  const slots = winners.map((w) => w.slot as number);
  const expected = Math.min(limit, demand);
  const outcomes: Outcomes = {
    winners: winners.length,
    vouchers: vouchers.length,
    lostWinners,
    lostSlots: Math.max(0, expected - winners.length),
    duplicateVouchers: [...vouchersByUser.values()].filter((n) => n > 1).length,
    winnersWithoutVoucher: winners.filter((w) => !vouchersByUser.has(w.userId as string)).length,
    violations: [],
  };
  const v = outcomes.violations;
  if (winners.length > limit) v.push(`${winners.length} winners for limit ${limit}`);
  if (winners.length < expected) v.push(`${winners.length} winners, expected ${expected} (lost slots)`);
  if (new Set(slots).size !== slots.length || slots.some((s) => s < 1 || s > limit))
    v.push(`bad slots ${JSON.stringify(slots)}`);
  if (lostWinners > 0) v.push(`${lostWinners} winning answers without a matching winner`);
  if (outcomes.duplicateVouchers > 0) v.push(`${outcomes.duplicateVouchers} users with more than one voucher`);
  if (outcomes.winnersWithoutVoucher > 0) v.push(`${outcomes.winnersWithoutVoucher} winners without a voucher`);
  if (vouchers.some((x) => !winnerByUser.has(x.userId as string))) v.push('a voucher without a winner');
  return outcomes;
}

/**
 * After the faults, with nobody's help: the workers reconcile on their own (their schedule, the recovery
 * watch, on-demand requests), users who hold no slot come back (demand that exceeds the limit keeps
 * coming), until every slot is filled and every winner has a voucher, and that stays so for longer than a
 * reconciliation needs to complete a stopped claim (grace period plus interval), or `deadlineMs` passes.
 * Never reconciles by hand: a system that cannot heal itself fails here. Returns how long it took (ms).
 */
export async function settle(
  rig: FaultRig,
  campaignId: string,
  limit: number,
  accounts: readonly string[],
  answers: Answer[],
  deadlineMs = 60_000,
): Promise<number> {
  const started = Date.now();
  const { intervalMs, graceMs } = rig.config.reconcile;
  const quiet = graceMs + 2 * intervalMs;
  let settledSince: number | null = null;
  while (Date.now() - started < deadlineMs) {
    await rig.drain(deadlineMs);
    const winners = await rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId }).toArray());
    const vouchers = await rig.read((db) => db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId }));
    const filled = winners.length >= Math.min(limit, accounts.length);
    if (filled && vouchers === winners.length) {
      settledSince ??= Date.now();
      if (Date.now() - settledSince >= quiet) return settledSince - started;
    } else {
      settledSince = null;
    }
    if (!filled) {
      const holders = new Set(winners.map((w) => w.userId as string));
      const userIds = new Map(answers.filter((a) => a.body.userId).map((a) => [a.account, a.body.userId as string]));
      const comeback = accounts.filter((account) => !holders.has(userIds.get(account) ?? ''));
      const again = await Promise.all(comeback.map((account) => rig.loginUntilDecided(account, campaignId, 10_000)));
      answers.push(...again.flat());
    }
    await new Promise((r) => setTimeout(r, intervalMs + 200));
  }
  return Date.now() - started;
}

/**
 * Fires the accounts' logins, arriving at random moments over `spreadMs` (a burst lasts a few seconds, so
 * logins keep coming after the fault); each client retries 503s until decided. Runs `fault` meanwhile.
 */
export async function burstWithFault(
  rig: FaultRig,
  campaignId: string,
  accounts: readonly string[],
  fault: () => Promise<void>,
  spreadMs = 3_000,
  random: () => number = Math.random,
): Promise<Answer[]> {
  const arrivals = accounts.map(() => random() * spreadMs); // drawn up front, so a seed replays them
  const logins = Promise.all(
    accounts.map(async (account, i) => {
      await new Promise((r) => setTimeout(r, arrivals[i]));
      return rig.loginUntilDecided(account, campaignId);
    }),
  );
  await fault();
  return (await logins).flat();
}

/** Resolves once the campaign's counter has reached `slots` (the burst is under way). */
export async function counterReaches(
  rig: FaultRig,
  campaignId: string,
  slots: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const key = campaignKeys(rig.config.redis.keyPrefix, campaignId).counter;
    const counter = Number(await rig.api.redis.get(key).catch(() => 0));
    if (counter >= slots) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`counter of ${campaignId} did not reach ${slots}`);
}

/** An operator's change as the soak made it: when it was sent and answered, and what it set. */
export interface OperatorEvent {
  action: 'pause' | 'resume' | 'limit' | 'end';
  at: number;
  doneAt: number;
  status: number;
  errorCode?: string | null;
  limit?: number;
}

/**
 * The promises over the whole history of one run, not only its end state:
 * - every "won" or "already_won" answer names a recorded winner with that slot;
 * - no "won" answer to a request sent after a pause was answered and answered before the resume was sent,
 *   nor to one sent after the campaign's end was answered;
 * - every "won" answer's slot lies within the limit in force while the request ran, and the winners
 *   within the final limit.
 */
export async function checkHistory(
  rig: FaultRig,
  campaignId: string,
  initialLimit: number,
  answers: readonly Answer[],
  events: readonly OperatorEvent[],
): Promise<string[]> {
  const violations: string[] = [];
  const winners = await rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId }).toArray());
  const slotOf = new Map(winners.map((w) => [w.userId as string, w.slot as number]));
  const applied = events.filter((e) => e.status === 200).sort((a, b) => a.doneAt - b.doneAt);
  const pausedIntervals: [number, number][] = [];
  let pausedSince: number | null = null;
  for (const event of applied) {
    if (event.action === 'pause') pausedSince ??= event.doneAt;
    if (event.action === 'resume' && pausedSince !== null) {
      pausedIntervals.push([pausedSince, event.at]);
      pausedSince = null;
    }
  }
  if (pausedSince !== null) pausedIntervals.push([pausedSince, Infinity]);
  const endedAt = applied.find((e) => e.action === 'end')?.doneAt ?? Infinity;
  /** Every limit that was in force at some moment of [from, to]. */
  const limitsDuring = (from: number, to: number): number[] => {
    let current = initialLimit;
    const seen: number[] = [];
    for (const event of applied.filter((e) => e.action === 'limit')) {
      if (event.doneAt <= from) current = event.limit as number;
      else if (event.at <= to) seen.push(event.limit as number);
    }
    return [current, ...seen];
  };
  let finalLimit = initialLimit;
  for (const event of applied) if (event.action === 'limit') finalLimit = event.limit as number;

  for (const answer of answers) {
    const result = answer.body.campaigns?.find((c) => c.campaignId === campaignId);
    if (answer.status !== 200 || (result?.outcome !== 'won' && result?.outcome !== 'already_won')) continue;
    const sent = answer.at;
    const answered = answer.at + answer.ms;
    if (slotOf.get(answer.body.userId as string) !== result.slot) {
      violations.push(`${answer.account} was answered ${result.outcome} slot ${String(result.slot)}, not recorded`);
    }
    if (result.outcome !== 'won') continue;
    if (pausedIntervals.some(([from, to]) => sent >= from && answered <= to)) {
      violations.push(`${answer.account} won slot ${String(result.slot)} while paused`);
    }
    if (sent >= endedAt) violations.push(`${answer.account} won after the campaign ended`);
    if ((result.slot as number) > Math.max(...limitsDuring(sent, answered))) {
      violations.push(`${answer.account} won slot ${String(result.slot)} above the limit in force`);
    }
  }
  if (winners.length > finalLimit) violations.push(`${winners.length} winners for a final limit of ${finalLimit}`);
  return violations;
}
