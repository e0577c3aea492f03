--[[
  Moves a claim forward after the database refused its slot because another user is recorded with it
  (the counter went backwards: a stale Redis handed the slot out twice).

  KEYS[1]  meta hash   KEYS[2]  counter   KEYS[3]  slots hash   KEYS[4]  free zset   KEYS[5]  state
  ARGV[1]  userId
  ARGV[2]  the stale slot the user holds now

  Returns {code, slot, limit, version}. Codes (REPLY, see script-replies.ts):
    WON         the user now holds a fresh `slot` (a freed one first, else the next one)
    FULL        no slot is left; the user's stale slot is dropped
    NO_COUNTER  the counter is missing
    NO_META     the campaign's settings are missing
    CHANGED     the user no longer holds the stale slot (another request moved it); `slot` is what the
                user holds now, 0 for nothing. Nothing was changed.
  A WON or FULL changes the state (noted and published).
]]
-- #include read-settings.lua
-- #include hand-out-slot.lua
-- #include note-change.lua

local settings = readSettings()
if not settings then
  return {REPLY.NO_META, 0, 0, 0}
end
local limit, version = settings.limit, settings.version

local held = tonumber(redis.call('HGET', KEYS[3], ARGV[1]))
if held ~= tonumber(ARGV[2]) then
  return {REPLY.CHANGED, held or 0, limit, version}
end

local counter = tonumber(redis.call('GET', KEYS[2]))
if not counter then
  return {REPLY.NO_COUNTER, 0, limit, version}
end

local slot = handOutSlot(counter, limit, ARGV[1])
noteChange()
if not slot then
  redis.call('HDEL', KEYS[3], ARGV[1])
  return {REPLY.FULL, 0, limit, version}
end
return {REPLY.WON, slot, limit, version}
