import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Cluster, Redis } from 'ioredis';

import { replyTableLua } from './script-replies';

export type RedisClient = Redis | Cluster;

/** The campaign scripts, each in its own .lua file next to this module; all take the campaign's keys. */
const SCRIPTS = {
  promoClaimSlot: 'claim-slot.lua',
  promoReassignSlot: 'reassign-slot.lua',
  promoMoveSlot: 'move-slot.lua',
  promoPublishCampaign: 'publish-campaign.lua',
  promoRaiseCounter: 'raise-counter.lua',
  promoFreeSlots: 'free-slots.lua',
  promoRestoreHolders: 'restore-holders.lua',
  promoNoteChange: 'note-change.lua',
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

const NUMBER_OF_KEYS = 5;
const sources = new Map<ScriptName, string>();

/**
 * A script's text: the REPLY table of codes first, then the script with each `-- #include <file>` line
 * replaced by that file from lua/lib.
 */
function source(name: ScriptName): string {
  let lua = sources.get(name);
  if (lua === undefined) {
    lua =
      replyTableLua() +
      readFileSync(join(__dirname, 'lua', SCRIPTS[name]), 'utf8').replace(
        /^-- #include ([\w.-]+\.lua)$/gm,
        (_, file: string) => readFileSync(join(__dirname, 'lua', 'lib', file), 'utf8'),
      );
    sources.set(name, lua);
  }
  return lua;
}

/**
 * Registers the scripts on a connection (ioredis defineCommand: EVALSHA with a fallback to EVAL, so a
 * Redis that restarted empty gets them again without our help). Safe to call twice.
 */
export function defineScripts(redis: RedisClient): void {
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    if (typeof (redis as unknown as Record<string, unknown>)[name] === 'function') continue;
    redis.defineCommand(name, { numberOfKeys: NUMBER_OF_KEYS, lua: source(name) });
  }
}

/** Runs a script and returns its reply, which every script shapes as an array of integers. */
export async function runScript(
  redis: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<number[]> {
  return numbersFrom(name, await callScript(redis, name, [...keys, ...args]));
}

/** Calls a script registered on the connection with defineCommand, under its name. */
export function callScript(
  redis: RedisClient,
  name: string,
  keysThenArgs: readonly (string | number)[],
): Promise<unknown> {
  const call = (redis as unknown as Record<string, ScriptCall | undefined>)[name];
  if (call === undefined) throw new Error(`script ${name} is not defined on this connection`);
  return call.call(redis, ...keysThenArgs);
}

/** A script's reply, which must be an array of integers. */
export function numbersFrom(name: string, reply: unknown): number[] {
  if (!Array.isArray(reply) || reply.some((value) => typeof value !== 'number')) {
    throw new Error(`script ${name} answered ${JSON.stringify(reply)}`);
  }
  return reply as number[];
}
