--[[
  Admits a password login by the wrong passwords counted for its account, or refuses it, in one step: the
  counts, the places held by checks still in flight and whether the address is known are read, and an
  admitted login holds a place in both counts until it is settled (failed.lua, succeeded.lua, released.lua).
  So logins checked at once cannot together pass the limits, as a read now and a count later would let
  them. Each place is an entry of its own (a sorted set of hold ids, scored by when each lapses), given
  back by its id alone, and forgotten ARGV[4] ms after it was taken should its process never settle it.
  One account's keys share a hash tag (one Redis Cluster slot).

  KEYS[1] the pair's wrong passwords          (int, expires when its back-off ends)
  KEYS[2] the account's wrong passwords       (int, expires when its back-off ends)
  KEYS[3] the pair's "logged in before" mark
  KEYS[4] the pair's places held              (sorted set: hold id -> when it lapses, ms)
  KEYS[5] the account's places held           (sorted set)
  ARGV[1] wrong passwords allowed per pair, ARGV[2] per account
  ARGV[3] 1 to treat the address as known (an older layout's mark said so), else 0
  ARGV[4] how long a held place lasts, ms; ARGV[5] now, ms; ARGV[6] this login's hold id
  Returns {outcome, ms}: 0 admitted; 1 the pair is backed off, for ms; 2 the pair's remaining wrong
  passwords are all held by checks in flight; 3 the account is closed to this (unknown) address, for ms;
  4 the account's remaining wrong passwords are all held.
]]
local function counted(key)
  local count = tonumber(redis.call('get', key))
  if count == nil then return 0, 0 end
  return count, math.max(redis.call('pttl', key), 0)
end
local now = tonumber(ARGV[5])
local function held(key)
  redis.call('zremrangebyscore', key, '-inf', now)
  return redis.call('zcard', key)
end
local function hold(key)
  redis.call('zadd', key, now + tonumber(ARGV[4]), ARGV[6])
  redis.call('pexpire', key, ARGV[4])
end

local pair, pairMs = counted(KEYS[1])
if pair >= tonumber(ARGV[1]) then return {1, pairMs} end
if pair + held(KEYS[4]) >= tonumber(ARGV[1]) then return {2, 0} end
if ARGV[3] ~= '1' and redis.call('exists', KEYS[3]) == 0 then
  local account, accountMs = counted(KEYS[2])
  if account >= tonumber(ARGV[2]) then return {3, accountMs} end
  if account + held(KEYS[5]) >= tonumber(ARGV[2]) then return {4, 0} end
end
hold(KEYS[4])
hold(KEYS[5])
return {0, 0}
