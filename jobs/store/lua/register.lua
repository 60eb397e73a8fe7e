-- register: a worker (or one thread of a worker) announces itself, in Resque's keys and ours.
-- KEYS[1] workers set   KEYS[2] worker:ID:started   KEYS[3] Resque's heartbeat hash
-- KEYS[4] our heartbeats zset
-- ARGV[1] worker id   ARGV[2] started (text)   ARGV[3] heartbeat (ISO 8601)
-- Returns Redis's clock in milliseconds.
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'NX')  -- registering again (after an outage) keeps it
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[4], now_ms, ARGV[1])
return now_ms
