/** Asks for a campaign to be reconciled soon, e.g. after a claim found its counter missing. */
export interface ReconcileTrigger {
  /** Idempotent within a short window: many requests for one campaign make one reconciliation. */
  requestReconcile(campaignId: string): Promise<void>;
}
