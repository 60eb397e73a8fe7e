-- requeue: put an unfinished job back at the front of its queue (it was at the front when it
-- was taken), and mark the worker idle. Three reasons:
--   'interrupted': the worker stopped, or lost Redis before it could report; not the job's fault.
--   'crash':    the worker running it died. Count that against the job, and once a job has
--               been running when workers died ARGV[4] times, fail it instead of looping
--               (a job that crashes every worker that takes it would otherwise do so forever).
--   'suspect':  the worker died holding it with other jobs (a thread's batch): it may have been
--               the one running, or one not started yet, or one finished but not acknowledged.
--               Nothing is counted against it, but it gets a crash count of 0, which makes the
--               next fetch run it alone (see fetch.lua): if it is what kills workers, the next
--               death is certain to be its own, and counted.
-- When recovering another worker's jobs, ARGV[6] is the heartbeat we judged it dead by: if it
-- has changed, that worker is alive after all and nothing is touched.
-- KEYS[1] in-flight list   KEYS[2] the job's queue list   KEYS[3] the queues set
-- KEYS[4] crash counts hash   KEYS[5] failed list   KEYS[6] stat:failed   KEYS[7] heartbeats zset
-- KEYS[8] this minute's failed count   KEYS[9] the worker's working record
-- ARGV[1] entry   ARGV[2] 'interrupted', 'crash' or 'suspect'   ARGV[3] queue name   ARGV[4] crash limit
-- ARGV[5] failure record to use if the limit is reached   ARGV[6] expected heartbeat or ''
-- ARGV[7] worker id   ARGV[8] how many failure records to keep   ARGV[9] the wake-up channel
-- ARGV[10] seconds to keep the minute's count
-- ARGV[11] the job status key prefix   ARGV[12] how many seconds a status is kept
-- Returns 'requeued', 'failed', 'gone' (not in flight any more) or 'alive'.

-- include: now
-- include: job_status

if ARGV[6] ~= '' then
  local beat = redis.call('ZSCORE', KEYS[7], ARGV[7])
  if beat ~= ARGV[6] then return 'alive' end
end
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 'gone' end
redis.call('DEL', KEYS[9])
if ARGV[2] == 'suspect' then
  redis.call('HINCRBY', KEYS[4], redis.sha1hex(ARGV[1]), 0)
elseif ARGV[2] == 'crash' then
  local digest = redis.sha1hex(ARGV[1])
  local crashes = redis.call('HINCRBY', KEYS[4], digest, 1)
  if crashes >= tonumber(ARGV[4]) then
    redis.call('HDEL', KEYS[4], digest)
    redis.call('RPUSH', KEYS[5], ARGV[5])
    redis.call('LTRIM', KEYS[5], -tonumber(ARGV[8]), -1)
    redis.call('INCR', KEYS[6])
    redis.call('INCR', KEYS[8])
    redis.call('EXPIRE', KEYS[8], ARGV[10])
    local now = now_ms('')
    record_status(ARGV[11], ARGV[12], job_of_entry(ARGV[1]), now,
      'state', 'failed', 'finished_at', now, 'error', failure_of(ARGV[5]))
    return 'failed'
  end
end
redis.call('SADD', KEYS[3], ARGV[3])
local payload = cjson.decode(ARGV[1])[2]
redis.call('LPUSH', KEYS[2], payload)
record_status(ARGV[11], ARGV[12], job_with_id(payload), now_ms(''), 'state', 'waiting')
redis.call('PUBLISH', ARGV[9], ARGV[3])  -- an idle worker can take it at once
return 'requeued'
