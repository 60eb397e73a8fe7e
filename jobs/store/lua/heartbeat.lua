-- heartbeat: say "still alive" for every worker id of one process, stamped with Redis's clock
-- so that machines with skewed clocks agree on who is late.
-- KEYS[1] Resque's heartbeat hash   KEYS[2] our heartbeats zset
-- ARGV[1] the heartbeat as ISO 8601 text (for Resque)   ARGV[2...] worker ids
-- Returns Redis's clock in milliseconds.
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
for i = 2, #ARGV do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
  redis.call('ZADD', KEYS[2], now_ms, ARGV[i])
end
return now_ms
