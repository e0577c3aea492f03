--[[
  A wrong password (or an unknown account): one more against the pair and against the account. Each count
  starts its back-off window when it is first written and keeps it (a fixed window, not a sliding one).

  KEYS[1] the pair's wrong passwords, KEYS[2] the account's wrong passwords
  ARGV[1] the back-off window, seconds
  Returns {pair count, account count}.
]]
local function count(key)
  redis.call('set', key, 0, 'EX', ARGV[1], 'NX')
  local counted = redis.call('incr', key)
  if redis.call('pttl', key) == -1 then redis.call('expire', key, ARGV[1]) end
  return counted
end

return {count(KEYS[1]), count(KEYS[2])}
