--[[
  Writes a campaign's counter settings, atomically, and creates a missing counter when allowed.

  KEYS[1]  meta hash (fields: limit, paused)
  KEYS[2]  counter
  KEYS[3]  slots hash, KEYS[4] free zset (unused; listed so every campaign script takes the same keys)
  ARGV[1]  limit (integer >= 1)
  ARGV[2]  paused ('1' or '0')
  ARGV[3]  '1' to create a missing counter at 0 (only for a campaign with no winner anywhere), else '0'

  Returns {code, counter}:
    1  PUBLISHED            settings written; `counter` is its current value
    2  LIMIT_BELOW_COUNTER  the limit is below the slots already handed out; nothing was written
    3  COUNTER_MISSING      settings written; the counter is missing and stays so until reconciliation
                            rebuilds it from the database (claims stay closed meanwhile); counter = -1
  The counter is never lowered here.
]]
local limit = tonumber(ARGV[1])
local counter = tonumber(redis.call('GET', KEYS[2]))
if counter and limit < counter then
  return {2, counter}
end
redis.call('HSET', KEYS[1], 'limit', limit, 'paused', ARGV[2])
if counter then
  return {1, counter}
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[2], 0)
  return {1, 0}
end
return {3, -1}
