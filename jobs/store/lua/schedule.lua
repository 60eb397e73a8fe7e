-- schedule: put a job in the scheduled set until it is due, or on its queue at once if it is
-- due already ("a time in the past enqueues now"). Due-ness is judged by Redis's clock, so
-- machines with skewed clocks agree.
-- KEYS[1] the scheduled zset   KEYS[2] the queues set   KEYS[3] the queue's list
-- ARGV[1] the entry, JSON [queue, payload]   ARGV[2] the payload   ARGV[3] the queue name
-- ARGV[4] the queue's wake-up channel   ARGV[5] the scheduler's wake-up channel
-- ARGV[6] when it is due, Unix ms, or '' to use ARGV[7]   ARGV[7] ms from Redis's now
-- ARGV[8] now in Unix ms instead of Redis's clock (tests move time), or ''
-- Returns 'enqueued' or 'scheduled'.

-- include: now

local now = now_ms(ARGV[8])
local due = now + tonumber(ARGV[7])
if ARGV[6] ~= '' then due = tonumber(ARGV[6]) end
if due <= now then
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('RPUSH', KEYS[3], ARGV[2])
  redis.call('PUBLISH', ARGV[4], ARGV[3])
  return 'enqueued'
end
redis.call('ZADD', KEYS[1], due, ARGV[1])
-- Sleeping scheduler loops wait for the soonest job; this one is sooner, so wake them.
if redis.call('ZRANK', KEYS[1], ARGV[1]) == 0 then
  redis.call('PUBLISH', ARGV[5], due)
end
return 'scheduled'
