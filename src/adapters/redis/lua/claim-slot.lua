--[[
  Claims a slot of a campaign for a user, atomically.

  KEYS[1]  meta hash (limit, paused, version, startsAt, endsAt)
  KEYS[2]  counter (integer: slots handed out so far)
  KEYS[3]  slots hash (userId -> slot)
  KEYS[4]  free zset (slots at or below the counter that nobody holds)
  KEYS[5]  state version
  ARGV[1]  userId

  Returns {code, slot, limit, version, state}; integers only, so RESP2 and RESP3 clients read it alike.
  Codes (REPLY, see script-replies.ts): WON (a slot was handed out), HELD (the user holds `slot`, answered
  before the window is checked), FULL, PAUSED, NOT_ACTIVE (outside the window by Redis's clock), NO_COUNTER, NO_META. `version` is the version
  of the settings the decision was made under, `state` the campaign's state version after it (a WON
  changes the state: noted and published).
  A missing counter is never created here: that would re-open slots that were already won.
]]
-- #include read-settings.lua
-- #include hand-out-slot.lua
-- #include note-change.lua

local settings = readSettings()
if not settings then
  return {REPLY.NO_META, 0, 0, 0}
end
local limit, version = settings.limit, settings.version

-- A slot already held is answered first, whatever the window: the holder may be a recorded winner (a
-- login answered 503 that reconciliation completed) who must hear so after the campaign ended too. The
-- caller decides whether an unrecorded one may still count.
local held = redis.call('HGET', KEYS[3], ARGV[1])
if held then
  return {REPLY.HELD, tonumber(held), limit, version}
end

if not isRunning(settings) then
  return {REPLY.NOT_ACTIVE, 0, limit, version}
end

if settings.paused then
  return {REPLY.PAUSED, 0, limit, version}
end

local counter = tonumber(redis.call('GET', KEYS[2]))
if not counter then
  return {REPLY.NO_COUNTER, 0, limit, version}
end

local slot = handOutSlot(counter, limit, ARGV[1])
if not slot then
  return {REPLY.FULL, 0, limit, version, stateVersion()}
end
return {REPLY.WON, slot, limit, version, noteChange()}
