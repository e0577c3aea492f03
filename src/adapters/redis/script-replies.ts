/**
 * The integer codes the Lua scripts answer with: one table, shared by this adapter and the scripts
 * themselves (scripts.ts writes it into each script as the Lua table REPLY, so `REPLY.WON` in a .lua file
 * and `REPLY.WON` here are the same number by construction).
 */
export const REPLY = {
  /** A slot was handed to the user (a freed one first, else the next one). */
  WON: 1,
  /** The user already holds a slot. */
  HELD: 2,
  /** The counter has reached the limit and no slot is free. */
  FULL: 3,
  PAUSED: 4,
  /** The counter is missing (Redis lost it): claims stay closed until it is rebuilt. */
  NO_COUNTER: 5,
  /** The campaign's settings are missing. */
  NO_META: 6,
  /** The user no longer holds the slot the caller expected (another request moved it). */
  CHANGED: 7,
  /** Outside the campaign's time window, by Redis's clock. */
  NOT_ACTIVE: 8,
  /** Settings written. */
  PUBLISHED: 9,
  /** The limit is below the slots already handed out; nothing written. */
  LIMIT_BELOW_COUNTER: 10,
  /** Settings written; the counter is missing and stays so until reconciliation rebuilds it. */
  COUNTER_MISSING: 11,
  /** The counter holds settings of a newer version; nothing written. */
  STALE: 12,
  /** A lowering over a counter that lost or rolled back its slots; nothing written. */
  NOT_IN_FORCE: 13,
} as const;

export type ReplyName = keyof typeof REPLY;

/** The table as Lua source, prepended to every script. */
export function replyTableLua(): string {
  const fields = Object.entries(REPLY).map(([name, code]) => `${name} = ${code}`);
  return `local REPLY = { ${fields.join(', ')} }\n`;
}
