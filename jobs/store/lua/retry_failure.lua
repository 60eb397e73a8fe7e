-- retry_failure: take one failure record off the failed list and put its job back on its queue,
-- in one step, so two people clicking "retry" at once enqueue it once.
-- KEYS[1] failed list   KEYS[2] the queue's list   KEYS[3] queues set
-- ARGV[1] the failure record, exactly as stored   ARGV[2] the payload to enqueue
-- ARGV[3] the queue name   ARGV[4] its wake-up channel
-- ARGV[5] the job status key prefix   ARGV[6] how many seconds a status is kept
-- Returns 1 if retried, 0 if the record was gone already.

-- include: now
-- include: job_status

if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[3])
record_status(ARGV[5], ARGV[6], job_with_id(ARGV[2]), now_ms(''), 'state', 'waiting')
return 1
