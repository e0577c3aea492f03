--[[
  A login admitted whose password was not checked after all (the server too busy, a store not answering,
  or another limit refusing it): its held places are given back; nothing is counted.

  KEYS[1] the pair's places held, KEYS[2] the account's places held
  ARGV[1] the login's hold id
  Returns {1}.
]]
-- #include release-held.lua

releaseHeld(KEYS[1], ARGV[1])
releaseHeld(KEYS[2], ARGV[1])
return {1}
