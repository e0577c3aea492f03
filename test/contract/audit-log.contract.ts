import type { AuditEntry, AuditLog } from '../../src/ports/audit-log.port';

const at = (iso: string) => new Date(iso);

/** What every audit log must do; run against the in-memory fake and the MongoDB adapter alike. */
export function auditLogContract(name: string, subject: () => AuditLog): void {
  describe(`AuditLog contract: ${name}`, () => {
    let log: AuditLog;
    let n = 0;
    let id: string;
    beforeEach(() => {
      log = subject();
      id = `a${++n}-${Date.now()}`;
    });

    const entry = (campaignId: string, action: string, when: string): AuditEntry => ({
      actor: 'ops',
      action,
      campaignId,
      before: null,
      after: { id: campaignId, limit: 5, paused: action === 'pause' },
      at: at(when),
    });

    test("lists a campaign's entries newest first, its own only, at most `limit` of them", async () => {
      const create = entry(id, 'create', '2026-06-01T10:00:00Z');
      const update = entry(id, 'update', '2026-06-01T10:00:01Z');
      const pause = entry(id, 'pause', '2026-06-01T10:00:02Z');
      for (const e of [update, pause, create, entry(`${id}-other`, 'reset', '2026-06-01T10:00:03Z')]) {
        await log.record(e);
      }
      expect(await log.listByCampaign(id, 10)).toEqual([pause, update, create]);
      expect(await log.listByCampaign(id, 2)).toEqual([pause, update]);
      expect(await log.listByCampaign(`${id}-none`, 10)).toEqual([]);
    });

    test('keeps what was recorded: the states before and after as stored, dates in them included; every append', async () => {
      const before = {
        id,
        limit: 5,
        paused: false,
        startsAt: at('2026-05-01T00:00:00Z'),
        endsAt: null,
        tags: ['spring', 'web'],
      };
      const change: AuditEntry = {
        actor: 'token',
        action: 'update',
        campaignId: id,
        before,
        after: { ...before, limit: 9, endsAt: at('2026-07-01T00:00:00.123Z') },
        at: at('2026-06-01T10:00:00.456Z'),
      };
      await log.record(change);
      const again = { ...change, at: at('2026-06-01T10:00:01Z') }; // the same change recorded twice: two entries
      await log.record(again);
      expect(await log.listByCampaign(id, 10)).toEqual([again, change]);
    });

    test('append-only: changing an entry after recording or listing it changes nothing in the log', async () => {
      const recorded = entry(id, 'update', '2026-06-01T10:00:00Z');
      const copy = structuredClone(recorded);
      await log.record(recorded);
      recorded.actor = 'someone else';
      (recorded.after as { limit: number }).limit = 99;
      const [listed] = await log.listByCampaign(id, 1);
      expect(listed).toEqual(copy);
      (listed as AuditEntry).actor = 'tampered';
      ((listed as AuditEntry).after as { limit: number }).limit = 100;
      expect(await log.listByCampaign(id, 1)).toEqual([copy]);
    });
  });
}
