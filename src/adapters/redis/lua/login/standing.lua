--[[
  What a password login must know before any password work: the wrong passwords counted against the
  (account, address) pair and against the account from every address, and whether the account has logged
  in from this address before. One account's keys share a hash tag (one Redis Cluster slot).

  KEYS[1] the pair's wrong passwords    (int, expires when its back-off ends)
  KEYS[2] the account's wrong passwords (int, expires when its back-off ends)
  KEYS[3] the pair's "logged in before" mark
  Returns {pair count, its ms left, account count, its ms left, 1 if the address is known else 0}; a
  count that is not there is 0 with 0 ms left.
]]
local function counted(key)
  local count = tonumber(redis.call('get', key))
  if count == nil then return 0, 0 end
  return count, math.max(redis.call('pttl', key), 0)
end

local pair, pairMs = counted(KEYS[1])
local account, accountMs = counted(KEYS[2])
return {pair, pairMs, account, accountMs, redis.call('exists', KEYS[3])}
