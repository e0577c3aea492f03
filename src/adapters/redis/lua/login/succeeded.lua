--[[
  The right password: its held places are given back, the pair's wrong passwords are forgotten and the
  address is marked as one the account logged in from (for ARGV[1] seconds from now).

  KEYS[1] the pair's wrong passwords, KEYS[2] the pair's "logged in before" mark
  KEYS[3] the pair's places held, KEYS[4] the account's places held
  ARGV[1] how long the mark lasts, seconds; ARGV[2] the login's hold id ('' when it held none)
  Returns {1}.
]]
-- #include release-held.lua

releaseHeld(KEYS[3], ARGV[2])
releaseHeld(KEYS[4], ARGV[2])
redis.call('del', KEYS[1])
redis.call('set', KEYS[2], 1, 'EX', ARGV[1])
return {1}
