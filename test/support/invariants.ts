import { COLLECTIONS } from '../../src/adapters/mongo/collections';
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
 * After the faults: reconcile until nothing drifts, let the workers drain, and let users who hold no slot
 * come back (demand that exceeds the limit keeps coming), until every slot is filled and every voucher
 * written, or `rounds` are spent.
 */
export async function settle(
  rig: FaultRig,
  campaignId: string,
  limit: number,
  accounts: readonly string[],
  answers: Answer[],
  rounds = 8,
): Promise<void> {
  const graceMs = rig.config.reconcile.graceMs;
  for (let round = 0; round < rounds; round += 1) {
    await rig.reconcile(campaignId);
    await rig.drain();
    const winners = await rig.read((db) => db.collection(COLLECTIONS.winners).countDocuments({ campaignId }));
    const vouchers = await rig.read((db) => db.collection(COLLECTIONS.vouchers).countDocuments({ campaignId }));
    const filled = winners >= Math.min(limit, accounts.length);
    if (filled && vouchers === winners) return;
    if (!filled) {
      const holders = new Set(
        (await rig.read((db) => db.collection(COLLECTIONS.winners).find({ campaignId }).toArray())).map(
          (w) => w.userId as string,
        ),
      );
      const userIds = new Map(answers.filter((a) => a.body.userId).map((a) => [a.account, a.body.userId as string]));
      const comeback = accounts.filter((account) => !holders.has(userIds.get(account) ?? ''));
      const again = await Promise.all(comeback.map((account) => rig.loginUntilDecided(account, campaignId, 10_000)));
      answers.push(...again.flat());
    }
    await new Promise((r) => setTimeout(r, graceMs + 200));
  }
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
): Promise<Answer[]> {
  const logins = Promise.all(
    accounts.map(async (account) => {
      await new Promise((r) => setTimeout(r, Math.random() * spreadMs));
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
    const counter = Number(
      await rig.api.redis.get(`${rig.config.redis.keyPrefix}:{${campaignId}}:counter`).catch(() => 0),
    );
    if (counter >= slots) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`counter of ${campaignId} did not reach ${slots}`);
}
