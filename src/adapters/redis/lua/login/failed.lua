--[[
  A wrong password (or an unknown account): its held places are given back and it is counted against the
  pair and the account. A count's back-off window starts with its first wrong password; the one that brings
  it to its limit starts the window again, so a back-off always lasts the full ARGV[1] seconds.

  KEYS[1] the pair's wrong passwords, KEYS[2] the account's wrong passwords
  KEYS[3] the pair's places held, KEYS[4] the account's places held
  ARGV[1] the back-off window, seconds; ARGV[2] wrong passwords allowed per pair, ARGV[3] per account
  ARGV[4] the login's hold id ('' when it held none)
  Returns {pair count, account count}.
]]
-- #include release-held.lua

local function count(key, allowed)
  redis.call('set', key, 0, 'EX', ARGV[1], 'NX')
  local counted = redis.call('incr', key)
  if counted >= allowed or redis.call('pttl', key) == -1 then redis.call('expire', key, ARGV[1]) end
  return counted
end

releaseHeld(KEYS[3], ARGV[4])
releaseHeld(KEYS[4], ARGV[4])
return {count(KEYS[1], tonumber(ARGV[2])), count(KEYS[2], tonumber(ARGV[3]))}
