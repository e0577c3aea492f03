import { toldAsJobData, toldFromJobData } from '../../src/adapters/queue/queue-names';
import type { ToldVoucher } from '../../src/domain/voucher';

const told: ToldVoucher = {
  terms: {
    code: 'PV-AAAA-BBBB-CCCC-DDDD',
    userId: 'u1',
    campaignId: 'c1',
    discount: 30,
    description: '30% off a mobile top-up',
    voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
    expireDate: new Date('2027-01-01T00:00:00.000Z'),
  },
  wonAt: new Date('2026-12-02T04:00:00.123Z'),
};

test('a told voucher survives the trip through job data (JSON) unchanged', () => {
  const data = JSON.parse(JSON.stringify({ campaignId: 'c1', userId: 'u1', run: 2, told: toldAsJobData(told) }));
  expect(toldFromJobData(data)).toEqual(told);
});

test('the job’s own campaign and user are the voucher’s, whatever else the data says', () => {
  const data = { campaignId: 'c2', userId: 'u2', told: toldAsJobData(told) };
  expect(toldFromJobData(data)?.terms).toMatchObject({ campaignId: 'c2', userId: 'u2' });
});

test.each([
  ['no told voucher', undefined],
  ['a discount that is not a number', { ...toldAsJobData(told), discount: '30' }],
  ['an expiry that is not a date', { ...toldAsJobData(told), expireDate: 'soon' }],
  ['no time won', { ...toldAsJobData(told), wonAt: undefined }],
  ['not an object', 'PV-AAAA'],
])('job data with %s carries no told voucher (the job reads first)', (_, value) => {
  const data = { campaignId: 'c1', userId: 'u1', told: value } as unknown as Parameters<typeof toldFromJobData>[0];
  expect(toldFromJobData(data)).toBeUndefined();
});
