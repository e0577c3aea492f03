import { END_CLOCK_SKEW_MS } from '../../src/application/save-campaign.use-case';
import { unitWorld, type UnitWorld } from '../support/fakes/unit-world';

let w: UnitWorld;
const at = (offsetMs: number) => new Date(w.clock.now().getTime() + offsetMs);

beforeEach(async () => {
  w = unitWorld();
  await w.saveCampaign.execute('c', { limit: 5, startsAt: at(-60_000), name: 'Spring' });
});

describe('ending a campaign', () => {
  test('an end further back than the clock skew is refused, and nothing changes anywhere', async () => {
    const before = await w.campaigns.findById('c');
    const counterBefore = await w.slots.inspect('c');
    await expect(
      w.saveCampaign.execute('c', { endsAt: at(-END_CLOCK_SKEW_MS - 1), name: 'Renamed' }),
    ).rejects.toMatchObject({ code: 'CAMPAIGN_END_IN_PAST' });
    expect(await w.campaigns.findById('c')).toEqual(before);
    expect(await w.slots.inspect('c')).toEqual(counterBefore);
    expect(w.audit.entries).toHaveLength(1); // the creation only
  });

  test('an end a moment ago means now', async () => {
    const { campaign } = await w.saveCampaign.execute('c', { endsAt: at(-1_000) });
    expect(campaign.endsAt).toEqual(w.clock.now());
    expect((await w.campaigns.findById('c'))?.endsAt).toEqual(w.clock.now());
  });

  test('an end that passes while the change is on its way is stored as the moment it is stored', async () => {
    const publish = w.slots.publish.bind(w.slots);
    jest.spyOn(w.slots, 'publish').mockImplementation(async (...args) => {
      const published = await publish(...args);
      w.advance(700); // the counter has the change; the database not yet
      return published;
    });
    const asked = at(200);
    const { campaign } = await w.saveCampaign.execute('c', { endsAt: asked });
    expect(campaign.endsAt).toEqual(w.clock.now());
    expect(campaign.endsAt?.getTime()).toBe(asked.getTime() + 500);
    expect((await w.campaigns.findById('c'))?.endsAt).toEqual(w.clock.now());
  });

  test('a future end is stored as asked, and a new campaign may be created with its window in the past', async () => {
    const asked = at(60_000);
    expect((await w.saveCampaign.execute('c', { endsAt: asked })).campaign.endsAt).toEqual(asked);
    const { campaign } = await w.saveCampaign.execute('rehearsal', {
      limit: 1,
      startsAt: at(-2 * 60_000),
      endsAt: at(-60_000),
    });
    expect(campaign.endsAt).toEqual(at(-60_000));
  });

  test('a change that leaves the end where it is does not move it, even when it lies in the past', async () => {
    await w.saveCampaign.execute('c', { endsAt: at(1_000) });
    w.advance(60_000); // ended a minute ago
    const { campaign } = await w.saveCampaign.execute('c', { name: 'Renamed', endsAt: at(-59_000) });
    expect(campaign).toMatchObject({ name: 'Renamed', endsAt: at(-59_000) });
  });
});
