-- enqueue_scheduled: move one job from a sorted set (scheduled or retries) to its queue now,
-- whenever it was due (the monitor's "enqueue now"). One step, so it is enqueued once even if
-- a scheduler loop is moving it at the same moment.
-- KEYS[1] the zset   KEYS[2] the queues set   KEYS[3] the queue's list
-- ARGV[1] the member, JSON [queue, payload]   ARGV[2] the queue name   ARGV[3] its wake-up channel
-- Returns 1 if moved, 0 if it was no longer there.
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], cjson.decode(ARGV[1])[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
