export interface AuditEntry {
  /** Who made the change (the operator's name, or "token"). */
  actor: string;
  /** What was done: create, update, pause, resume, reset, reconcile. */
  action: string;
  campaignId: string;
  /** The state before and after, as stored. */
  before: unknown;
  after: unknown;
  at: Date;
}

/** An append-only record of every operator change. */
export interface AuditLog {
  /** Appends an entry. */
  record(entry: AuditEntry): Promise<void>;

  /** A campaign's entries, newest first. */
  listByCampaign(campaignId: string, limit: number): Promise<AuditEntry[]>;
}
