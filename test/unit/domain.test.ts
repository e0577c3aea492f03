import { CAMPAIGN_ID_PATTERN, campaignProblems, isRunningAt, type Campaign } from '../../src/domain/campaign';
import { summarizeLogin, type CampaignResult } from '../../src/domain/login-outcome';
import { isWinningSlot } from '../../src/domain/slot';
import { voucherJobIdFor } from '../../src/adapters/queue/queue-names';
import { voucherCodeFor } from '../../src/application/support/voucher-code';
import { sameTerms, termsOf, voucherStatus, type Voucher } from '../../src/domain/voucher';

const result = (outcome: CampaignResult['outcome'], errorCode?: CampaignResult['errorCode']): CampaignResult => ({
  campaignId: 'c',
  outcome,
  ...(errorCode ? { errorCode } : {}),
});

describe('summarizeLogin', () => {
  test('status is true as soon as one campaign is won, whatever the others say', () => {
    expect(summarizeLogin([result('full', 'CAMPAIGN_FULL'), result('already_won')])).toEqual({
      status: true,
      errorCode: null,
      undecided: false,
    });
  });
  test('no campaign at all is NO_ACTIVE_CAMPAIGN', () => {
    expect(summarizeLogin([])).toMatchObject({ status: false, errorCode: 'NO_ACTIVE_CAMPAIGN' });
  });
  test('an undecided claim outranks every other reason and marks the answer undecided', () => {
    expect(summarizeLogin([result('full', 'CAMPAIGN_FULL'), result('unavailable', 'SERVICE_UNAVAILABLE')])).toEqual({
      status: false,
      errorCode: 'SERVICE_UNAVAILABLE',
      undecided: true,
    });
  });
  test('otherwise the most telling reason wins', () => {
    expect(
      summarizeLogin([result('not_active', 'CAMPAIGN_NOT_ACTIVE'), result('paused', 'CAMPAIGN_PAUSED')]).errorCode,
    ).toBe('CAMPAIGN_PAUSED');
    expect(summarizeLogin([result('paused', 'CAMPAIGN_PAUSED'), result('full', 'CAMPAIGN_FULL')]).errorCode).toBe(
      'CAMPAIGN_FULL',
    );
  });
});

describe('voucher identity', () => {
  test('the code and job id are pure functions of (campaign, user)', () => {
    expect(voucherCodeFor('spring', 'u1')).toBe(voucherCodeFor('spring', 'u1'));
    expect(voucherCodeFor('spring', 'u1')).not.toBe(voucherCodeFor('spring', 'u2'));
    expect(voucherCodeFor('ab', 'c')).not.toBe(voucherCodeFor('a', 'bc'));
    expect(voucherCodeFor('spring', 'u1')).toMatch(/^PV-[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
  });
  test('job ids satisfy BullMQ: no colon, not all digits', () => {
    const id = voucherJobIdFor('spring', 'u1', 0);
    expect(id).toMatch(/^v-[0-9a-f]{32}$/);
    expect(id).not.toContain(':');
    expect(voucherJobIdFor('spring', 'u1', 1)).toMatch(/^v-[0-9a-f]{32}$/);
    expect(voucherJobIdFor('spring', 'u1', 1)).not.toBe(id); // a later run's winner: a job of its own
    expect(voucherJobIdFor('spring', 'u1', 0)).toBe(id);
  });
  test('status: pending without a voucher, expired from its expiry instant on', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(voucherStatus(null, now)).toBe('pending');
    expect(voucherStatus({ expireDate: new Date('2026-06-02T00:00:00Z') }, now)).toBe('issued');
    expect(voucherStatus({ expireDate: now }, now)).toBe('expired');
  });
});

describe('campaign rules', () => {
  const base: Campaign = {
    id: 'spring-2026',
    name: 'Spring',
    limit: 100,
    discount: 30,
    voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
    description: 'd',
    startsAt: new Date('2026-03-01T00:00:00Z'),
    endsAt: new Date('2026-04-01T00:00:00Z'),
    voucherValidityDays: 30,
    version: 1,
    run: 0,
    runSince: 0,
    resetting: false,
    paused: false,
    createdAt: new Date('2026-02-01T00:00:00Z'),
    updatedAt: new Date('2026-02-01T00:00:00Z'),
  };
  test('a valid campaign has no problems', () => expect(campaignProblems(base)).toEqual([]));
  test('each broken rule is named', () => {
    expect(
      campaignProblems({ ...base, limit: 1.5, discount: -1, voucherValidityDays: 0, endsAt: base.startsAt }),
    ).toHaveLength(4);
  });
  test('ids that would break a Redis hash tag are refused', () => {
    for (const bad of ['a{b', 'a}b', 'a:b', '', 'x'.repeat(65), '-lead'])
      expect(CAMPAIGN_ID_PATTERN.test(bad)).toBe(false);
    for (const good of ['spring-2026', 'A.b_c', '7']) expect(CAMPAIGN_ID_PATTERN.test(good)).toBe(true);
  });
  test('runs from startsAt (inclusive) to endsAt (exclusive)', () => {
    expect(isRunningAt(base, base.startsAt)).toBe(true);
    expect(isRunningAt(base, new Date('2026-04-01T00:00:00Z'))).toBe(false);
    expect(isRunningAt({ ...base, endsAt: null }, new Date('2030-01-01T00:00:00Z'))).toBe(true);
  });
  test('a winning slot lies in 1..limit', () => {
    expect([0, 1, 100, 101, 1.5].map((slot) => isWinningSlot(slot, 100))).toEqual([false, true, true, false, false]);
  });
});

describe('voucher terms', () => {
  const written: Voucher = {
    code: 'PV-AAAA-BBBB-CCCC-DDDD',
    userId: 'u1',
    campaignId: 'c1',
    discount: 30,
    description: '30% off',
    voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
    expireDate: new Date('2027-01-01T00:00:00.000Z'),
    createdAt: new Date('2026-12-02T00:00:00.000Z'),
  };

  test('the terms of a voucher are all of it but when it was written', () => {
    const { createdAt, ...rest } = written;
    expect(createdAt).toBeInstanceOf(Date);
    expect(termsOf(written)).toEqual(rest);
  });

  test('two vouchers have the same terms whenever each was written, and not if any term differs', () => {
    const rewritten: Voucher = { ...written, createdAt: new Date('2026-12-03T00:00:00.000Z') };
    expect(sameTerms(written, rewritten)).toBe(true);
    expect(sameTerms(written, { ...written, expireDate: new Date(written.expireDate.getTime() + 1) })).toBe(false);
    expect(sameTerms(written, { ...written, discount: 31 })).toBe(false);
    expect(sameTerms(written, { ...written, description: 'other' })).toBe(false);
    expect(sameTerms(written, { ...written, voucherType: 'other' })).toBe(false);
    expect(sameTerms(written, { ...written, code: 'PV-0000-0000-0000-0000' })).toBe(false);
    expect(sameTerms(written, { ...written, userId: 'u2' })).toBe(false);
  });
});
