import { COLLECTIONS } from '../../src/adapters/mongo/collections';
import { QUEUE_NAMES } from '../../src/adapters/queue/queue-names';
import { campaignKeys } from '../../src/adapters/redis/keys';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

const TOKEN = 'a-bearer-token-for-automation-0123456789';
let h: Harness;
const admin = `Basic ${Buffer.from(`admin:${DEV_ADMIN_PASSWORD}`).toString('base64')}`;

beforeAll(async () => {
  h = await startHarness({ ADMIN_TOKEN: TOKEN });
  await h.registerUsers(6);
});
afterAll(async () => {
  await h?.close();
});

const get = (path: string) => h.http.get(path).set('authorization', admin);
// Admin writes are JSON, even without a body (a cross-site form cannot send that content type).
const post = (path: string, body?: object) =>
  h.http.post(path).set('authorization', admin).set('content-type', 'application/json').send(body);
const patch = (path: string, body: object) => h.http.patch(path).set('authorization', admin).send(body);
const hour = 60 * 60 * 1000;

describe('authentication', () => {
  test.each([
    ['no credentials', undefined],
    ['a wrong password', `Basic ${Buffer.from('admin:nope').toString('base64')}`],
    ['a wrong user', `Basic ${Buffer.from(`root:${DEV_ADMIN_PASSWORD}`).toString('base64')}`],
    ['a wrong token', 'Bearer not-the-token-not-the-token-not-the-token'],
    ['a user password', `Basic ${Buffer.from(`user1:${TEST_PASSWORD}`).toString('base64')}`],
  ])('%s gets 401 ADMIN_UNAUTHORIZED with a Basic challenge, on the API and on Bull Board', async (_, header) => {
    for (const path of ['/admin/campaigns', '/admin/queues', '/admin/queues/api/queues']) {
      const request = h.http.get(path);
      if (header) request.set('authorization', header);
      const response = await request;
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ status: false, errorCode: 'ADMIN_UNAUTHORIZED' });
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="promotion-admin"/);
    }
  });

  test('the bearer token and the basic credentials both let an operator in', async () => {
    expect((await h.http.get('/admin/campaigns').set('authorization', `Bearer ${TOKEN}`)).status).toBe(200);
    expect((await get('/admin/campaigns')).status).toBe(200);
  });
});

describe('campaigns', () => {
  test('create answers 201 with defaults; the same id again is 409 CAMPAIGN_EXISTS', async () => {
    const created = await post('/admin/campaigns', {
      id: 'spring',
      name: 'Spring',
      limit: 3,
      startsAt: new Date(Date.now() - hour).toISOString(),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: true,
      counter: 0,
      campaign: {
        id: 'spring',
        name: 'Spring',
        limit: 3,
        discount: 30,
        voucherType: 'MOBILE_TOPUP_BANK_TRANSFER',
        paused: false,
      },
    });
    const again = await post('/admin/campaigns', { id: 'spring' });
    expect(again.status).toBe(409);
    expect(again.body.errorCode).toBe('CAMPAIGN_EXISTS');
    expect((await h.api.stores.campaigns.findById('spring'))?.name).toBe('Spring');
  });

  test.each([
    ['a zero limit', { id: 'bad1', limit: 0 }],
    ['an unknown field', { id: 'bad2', owner: 'me' }],
    ['an id with a hash tag', { id: 'bad{3}' }],
    ['a date that is not ISO 8601', { id: 'bad4', startsAt: 'tomorrow' }],
    ['a string limit', { id: 'bad5', limit: '100' }],
    ['an end before the start', { id: 'bad6', startsAt: '2026-06-02T00:00:00Z', endsAt: '2026-06-01T00:00:00Z' }],
    ['a discount over 100', { id: 'bad7', discount: 101 }],
  ])('create with %s is 400 INVALID_REQUEST and stores nothing', async (_, body) => {
    const response = await post('/admin/campaigns', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: false, errorCode: 'INVALID_REQUEST' });
    expect(await h.api.stores.campaigns.findById(body.id)).toBeNull();
  });

  test('list and get: live statistics from both stores', async () => {
    await h.login('user1', TEST_PASSWORD, 'spring');
    await h.login('user2', TEST_PASSWORD, 'spring');
    const list = await get('/admin/campaigns');
    expect(list.body.campaigns.map((c: { id: string }) => c.id)).toContain('spring');

    const one = await get('/admin/campaigns/spring');
    expect(one.status).toBe(200);
    expect(one.body.stats).toEqual({
      participants: 2,
      winners: 2,
      vouchersIssued: 0,
      vouchersPending: 2,
      counter: 2,
      remainingSlots: 1,
      freeSlots: 0,
      drift: { counterAheadOfWinners: 0, winnersMissingFromCounter: 0, limitMismatch: false, winnersAboveLimit: false },
    });
    expect((await get('/admin/campaigns/nothing')).status).toBe(404);
  });

  test('update changes fields; a limit below the slots handed out is refused, changing nothing', async () => {
    const updated = await patch('/admin/campaigns/spring', { limit: 5, description: 'Two days only' });
    expect(updated.status).toBe(200);
    expect(updated.body.campaign).toMatchObject({ limit: 5, description: 'Two days only' });

    const refused = await patch('/admin/campaigns/spring', { limit: 1, name: 'Renamed' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      errorCode: 'CAMPAIGN_LIMIT_BELOW_COUNTER',
      details: { counter: 2 },
    });
    expect(await h.api.stores.campaigns.findById('spring')).toMatchObject({ limit: 5, name: 'Spring' });
    expect(await h.api.redis.hget(campaignKeys(h.config.redis.keyPrefix, 'spring').meta, 'limit')).toBe('5');

    expect((await patch('/admin/campaigns/nothing', { limit: 5 })).status).toBe(404);
    expect((await patch('/admin/campaigns/spring', {})).status).toBe(400);
    expect((await patch('/admin/campaigns/spring', { id: 'other' })).status).toBe(400);
  });

  test('an end in the past is refused with 409 CAMPAIGN_END_IN_PAST, changing nothing', async () => {
    const before = await h.api.stores.campaigns.findById('spring');
    const refused = await patch('/admin/campaigns/spring', {
      endsAt: new Date(Date.now() - hour).toISOString(),
      name: 'Renamed',
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ status: false, errorCode: 'CAMPAIGN_END_IN_PAST' });
    expect(await h.api.stores.campaigns.findById('spring')).toEqual(before);
    expect(await h.api.redis.hget(campaignKeys(h.config.redis.keyPrefix, 'spring').meta, 'endsAt')).toBe(
      String(before?.endsAt?.getTime() ?? 0),
    );
  });

  test('pause and resume take effect on the next login', async () => {
    expect((await post('/admin/campaigns/spring/pause')).body.campaign.paused).toBe(true);
    expect((await h.login('user3', TEST_PASSWORD, 'spring')).body.errorCode).toBe('CAMPAIGN_PAUSED');
    expect((await post('/admin/campaigns/spring/resume')).body.campaign.paused).toBe(false);
    expect((await h.login('user3', TEST_PASSWORD, 'spring')).body.campaigns?.[0]).toMatchObject({
      outcome: 'won',
      slot: 3,
    });
  });

  test('winners export: CSV by slot, streamed, with account and voucher status', async () => {
    await h.startWorker();
    await h.drainQueue();
    const csv = await get('/admin/campaigns/spring/winners.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="winners-spring.csv"');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('slot,userId,account,voucherCode,wonAt,voucherStatus');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['1', '2', '3']);
    expect(lines.slice(1).map((l) => l.split(',')[2])).toEqual(['user1', 'user2', 'user3']);
    expect(lines.slice(1).every((l) => l.endsWith(',issued'))).toBe(true);
    expect((await get('/admin/campaigns/nothing/winners.csv')).status).toBe(404);
  });

  test('a reset is not undone by participations buffered before it and written after it', async () => {
    await h.saveCampaign('rehearsal', { limit: 1 });
    expect((await h.login('user1', TEST_PASSWORD, 'rehearsal')).body.campaigns?.[0]?.outcome).toBe('won');
    // Losers' participations wait in this process's buffer (up to a second) ...
    for (const account of ['user2', 'user3'])
      expect((await h.login(account, TEST_PASSWORD, 'rehearsal')).body.errorCode).toBe('CAMPAIGN_FULL');
    await patch('/admin/campaigns/rehearsal', { endsAt: new Date(Date.now() - 1_000).toISOString() });
    expect((await post('/admin/campaigns/rehearsal/reset')).status).toBe(200);
    await h.api.flushLateParticipants(); // ... and are written after the reset (if they had not been yet)
    const logins = h.api.mongo.db.collection(COLLECTIONS.campaignLogins);
    expect(await logins.countDocuments({ campaignId: 'rehearsal' })).toBe(0);
    expect((await get('/admin/campaigns/rehearsal')).body.stats).toMatchObject({ participants: 0, winners: 0 });
  });

  test('reset is refused while the campaign runs, and works once it has ended', async () => {
    const refused = await post('/admin/campaigns/spring/reset');
    expect(refused.status).toBe(409);
    expect(refused.body.errorCode).toBe('CAMPAIGN_RUNNING');
    await patch('/admin/campaigns/spring', { endsAt: new Date(Date.now() - 1_000).toISOString() });
    const reset = await post('/admin/campaigns/spring/reset');
    expect(reset.status).toBe(200);
    expect(reset.body.deleted).toEqual({ winners: 3, vouchers: 3, participations: 3 });
    expect(await h.api.redis.get(campaignKeys(h.config.redis.keyPrefix, 'spring').counter)).toBe('0');
  });

  test('reconcile on demand queues a job', async () => {
    const response = await post('/admin/campaigns/spring/reconcile');
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ status: true, queued: true });
    // The job is there, in whatever state the running worker has got it to.
    const jobs = await h.api.queues.reconcile.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed']);
    expect(jobs.filter((job) => job.data.campaignId === 'spring')).toHaveLength(1);
    expect((await post('/admin/campaigns/nothing/reconcile')).status).toBe(404);
  });

  test('every change is in the audit log: who, what, before and after', async () => {
    const response = await get('/admin/campaigns/spring/audit');
    expect(response.status).toBe(200);
    const actions = response.body.entries.map((e: { actor: string; action: string }) => `${e.actor}:${e.action}`);
    expect(actions).toEqual([
      'admin:reconcile',
      'admin:reset',
      'admin:update',
      'admin:resume',
      'admin:pause',
      'admin:update',
      'admin:create',
    ]);
    const create = response.body.entries.at(-1);
    expect(create.before).toBeNull();
    expect(create.after).toMatchObject({ id: 'spring', limit: 3 });
    const update = response.body.entries.at(-2);
    expect(update.before).toMatchObject({ limit: 3 });
    expect(update.after).toMatchObject({ limit: 5 });
    expect(await h.api.mongo.db.collection(COLLECTIONS.audit).countDocuments({ campaignId: 'spring' })).toBe(7);
  });
});

describe('Bull Board', () => {
  test('is served to operators, with both queues', async () => {
    const page = await get('/admin/queues');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="root">');
    const queues = await get('/admin/queues/api/queues');
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(Object.values(QUEUE_NAMES).sort());
  });
});

describe('health', () => {
  test('/health and /ready answer without credentials', async () => {
    expect((await h.http.get('/health')).body).toEqual({ status: true });
    expect((await h.http.get('/ready')).body).toEqual({
      status: true,
      dependencies: { redis: 'up', mongo: 'up', peers: 'up' },
    });
  });
});
