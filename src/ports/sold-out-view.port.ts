/**
 * What this process knows of sold-out campaigns without asking the counter: the sold-out path's shortcut.
 * A view may only ever be behind (then it says nothing and the counter is asked): it never says "sold
 * out" for a campaign it has not seen sold out, nor for a user who holds a slot in it.
 */
export interface SoldOutView {
  /**
   * True only when the counter answered "full" for the campaign, no change to its slots or settings has
   * been heard of since (every change is announced), and the user holds no slot in it.
   */
  soldOutFor(campaignId: string, userId: string): boolean;

  /** The counter answered "full" at this state version: remember the campaign (learned in the background). */
  noteFull(campaignId: string, stateVersion: number): void;

  /** Stops listening. */
  close(): Promise<void>;
}

/** No view: every claim asks the counter. */
export const noSoldOutView: SoldOutView = {
  soldOutFor: () => false,
  noteFull: () => {},
  close: async () => {},
};
