--[[
  Writes a campaign's settings, atomically, only over settings of the same or an older version (a
  compare-and-set on the version), and creates a missing counter when allowed.

  KEYS[1]  meta hash (limit, paused, version, startsAt, endsAt)
  KEYS[2]  counter
  KEYS[3]  slots hash, KEYS[4] free zset (unused; listed so every campaign script takes the same keys)
  ARGV[1]  limit (integer >= 1)
  ARGV[2]  paused ('1' or '0')
  ARGV[3]  version (the campaign's, from the database)
  ARGV[4]  startsAt (ms since the epoch)
  ARGV[5]  endsAt (ms since the epoch, 0 for none)
  ARGV[6]  '1' to create a missing counter at 0 (only for a campaign with no winner anywhere), else '0'

  Returns {code, counter, version} (counter -1 when missing). Codes (REPLY, see script-replies.ts):
    PUBLISHED            settings written (or the same version was there already)
    STALE                the meta holds a newer version; nothing written; `version` is that version
    LIMIT_BELOW_COUNTER  the limit is below the slots already handed out; nothing written
    COUNTER_MISSING      settings written; the counter is missing and stays so until reconciliation
                         rebuilds it from the database (claims stay closed meanwhile)
  The counter is never lowered here.
]]
local limit = tonumber(ARGV[1])
local version = tonumber(ARGV[3])
local stored = tonumber(redis.call('HGET', KEYS[1], 'version'))
local counter = tonumber(redis.call('GET', KEYS[2]))
if stored and stored > version then
  return {REPLY.STALE, counter or -1, stored}
end
if counter and limit < counter then
  return {REPLY.LIMIT_BELOW_COUNTER, counter, stored or -1}
end
redis.call('HSET', KEYS[1], 'limit', limit, 'paused', ARGV[2], 'version', version, 'startsAt', ARGV[4], 'endsAt', ARGV[5])
if counter then
  return {REPLY.PUBLISHED, counter, version}
end
if ARGV[6] == '1' then
  redis.call('SET', KEYS[2], 0)
  return {REPLY.PUBLISHED, 0, version}
end
return {REPLY.COUNTER_MISSING, -1, version}
