-- enqueue: put jobs at the back of one queue and wake the workers waiting for it.
-- KEYS[1] the queues set   KEYS[2] the queue's list
-- ARGV[1] the queue name   ARGV[2] its wake-up channel   ARGV[3...] the payloads (JSON)
-- Returns the queue's length afterwards.
redis.call('SADD', KEYS[1], ARGV[1])
local length = redis.call('RPUSH', KEYS[2], unpack(ARGV, 3))
-- Idle workers are subscribed to this channel; publishing costs nothing if none listen.
redis.call('PUBLISH', ARGV[2], ARGV[1])
return length
