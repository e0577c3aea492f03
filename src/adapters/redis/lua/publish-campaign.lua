--[[
  Writes a campaign's settings, atomically, only over settings of the same or an older version (a
  compare-and-set on the version), and creates a missing counter when allowed.

  KEYS[1]  meta hash (limit, paused, version, startsAt, endsAt)
  KEYS[2]  counter
  KEYS[3]  slots hash, KEYS[4] free zset (unused; listed so every campaign script takes the same keys)
  KEYS[5]  state version: writing settings is a change, noted and published
  ARGV[1]  limit (integer >= 1)
  ARGV[2]  paused ('1' or '0')
  ARGV[3]  version (the campaign's, from the database)
  ARGV[4]  startsAt (ms since the epoch)
  ARGV[5]  endsAt (ms since the epoch, 0 for none)
  ARGV[6]  '1' to create a missing counter at 0 (only for a campaign with no winner anywhere), else '0'
  ARGV[7]  the version the database holds (-1: none)
  ARGV[8]  the highest slot that can still be recorded under it: max(its limit, highest winner)
  ARGV[9]  '1': strict, a new version must be newer than the stored one (a save; two saves that read the
           same version both compute the same next one, and only the first may write it); '0': the same
           version may be written again (reconciliation republishing what the database holds)
  ARGV[10] a version whose settings the database refused (-1: none): a save put back after its store failed
  ARGV[11] '1': the change lowers the limit, and is refused (NOT_IN_FORCE, nothing written) when the counter
           or the settings are missing, or the settings are not in force (below): such a counter no longer
           knows every slot handed out, so a lower limit cannot be checked against it

  When the meta is missing, older than ARGV[7] or holds the refused version ARGV[10], the counter ran
  under settings that are not in force: Redis lost or rolled back the database's, or took a change the
  database then refused. Slots handed out above ARGV[8] under them can never be recorded (a winner's write
  checks the database's limit). The counter comes down to ARGV[8] first (and the free list with it), so
  the database's limit can still be published; this is the only lowering besides a reset, and never below
  a slot that can still count. The slot map is dropped with them: a slot a user holds unrecorded may have
  been handed out under those settings (while the database said paused, say), and must never be recorded
  by reconciliation later. Recorded winners get their entries back from the database (reconciliation's
  restore, or their own next login); a claim in flight still records its winner after its own fresh read.

  Returns {code, counter, version} (counter -1 when missing). Codes (REPLY, see script-replies.ts):
    PUBLISHED            settings written (or the same version was there already, when not strict)
    STALE                the meta holds a newer version (strict: or the same); nothing written; `version`
                         is the stored version
    LIMIT_BELOW_COUNTER  the limit is below the slots already handed out; nothing written
    COUNTER_MISSING      settings written; the counter is missing and stays so until reconciliation
                         rebuilds it from the database (claims stay closed meanwhile)
    NOT_IN_FORCE         a lowering (ARGV[11]) over a counter that lost or rolled back its slots; nothing
                         written
]]
-- #include note-change.lua

local limit = tonumber(ARGV[1])
local version = tonumber(ARGV[3])
local stored = tonumber(redis.call('HGET', KEYS[1], 'version'))
local counter = tonumber(redis.call('GET', KEYS[2]))
if stored and (stored > version or (stored == version and ARGV[9] == '1')) then
  return {REPLY.STALE, counter or -1, stored}
end
local inForce = tonumber(ARGV[7])
local refused = tonumber(ARGV[10])
local floor = tonumber(ARGV[8])
local notInForce = not stored or stored < inForce or stored == refused
if ARGV[11] == '1' and (notInForce or not counter) then
  return {REPLY.NOT_IN_FORCE, counter or -1, stored or -1}
end
local trim = counter and inForce >= 0 and notInForce and counter > floor
if trim then
  counter = floor
end
if counter and limit < counter then
  return {REPLY.LIMIT_BELOW_COUNTER, counter, stored or -1}
end
if trim then
  redis.call('SET', KEYS[2], counter)
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '(' .. counter, '+inf')
end
if inForce >= 0 and notInForce then
  redis.call('DEL', KEYS[3])
end
redis.call('HSET', KEYS[1], 'limit', limit, 'paused', ARGV[2], 'version', version, 'startsAt', ARGV[4], 'endsAt', ARGV[5])
noteChange()
if counter then
  return {REPLY.PUBLISHED, counter, version}
end
if ARGV[6] == '1' then
  redis.call('SET', KEYS[2], 0)
  return {REPLY.PUBLISHED, 0, version}
end
return {REPLY.COUNTER_MISSING, -1, version}
