--[[
  Adds slots to the free list, so the next claims take them before the counter moves on.

  KEYS[1]  meta hash   KEYS[2]  counter   KEYS[3]  slots hash   KEYS[4]  free zset   KEYS[5]  state
  ARGV[1]  the settings version the caller decided under ('' for any): under another version (a reset or a
           save since the caller read), nothing is freed
  ARGV[2..] the slots to free

  Only slots between 1 and both the counter and the limit are accepted (higher ones were never handed out,
  or can never be won); the caller has checked that no winner is recorded for them and that nobody held
  them for a grace period. Returns {how many were added}; adding any is a change, noted and published.
]]
-- #include note-change.lua

local counter = tonumber(redis.call('GET', KEYS[2]))
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
if not counter or not limit then
  return {0}
end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then
  return {0}
end
local top = math.min(counter, limit)
local added = 0
for i = 2, #ARGV do
  local slot = tonumber(ARGV[i])
  if slot and slot >= 1 and slot <= top then
    added = added + redis.call('ZADD', KEYS[4], 'NX', slot, slot)
  end
end
if added > 0 then
  noteChange()
end
return {added}
