-- retry: a job raised and will be retried later. Take it out of the in-flight list and put it,
-- with its retry count and error, in the retries set, due after ARGV[3] ms by Redis's clock;
-- in one step, so a worker dying in between loses nothing. Counted as processed and as failed
-- (as Sidekiq counts a retry: the run did fail).
-- KEYS[1] in-flight list   KEYS[2] working record   KEYS[3] stat:processed
-- KEYS[4] stat:processed:ID   KEYS[5] stat:failed   KEYS[6] stat:failed:ID   KEYS[7] retries zset
-- KEYS[8] the crash counts hash   KEYS[9], KEYS[10] this minute's processed and failed counts
-- ARGV[1] the in-flight entry   ARGV[2] the new entry, JSON [queue, payload with retry fields]
-- ARGV[3] ms until it is due   ARGV[4] seconds to keep the minute's counts
-- ARGV[5] the scheduler's wake-up channel   ARGV[6] now in Unix ms (tests move time), or ''
-- ARGV[7] the job status key prefix   ARGV[8] how many seconds a status is kept
-- KEYS[11], KEYS[12] this minute's run-time metrics and their totals (see lib/metrics.lua)
-- ARGV[9] the run's time in microseconds   ARGV[10] its run-time bucket
-- ARGV[11] when this minute's metrics expire (Unix seconds; '' records no metrics)
-- ARGV[12] how many classes a metrics hash takes
-- Returns 1 if the retry was scheduled, 0 if the job was no longer in flight.

-- include: now
-- include: job_status
-- include: metrics

if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
local now = now_ms(ARGV[6])
redis.call('DEL', KEYS[2])
for i = 3, 6 do redis.call('INCR', KEYS[i]) end
for i = 9, 10 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[4])
end
redis.call('HDEL', KEYS[8], redis.sha1hex(ARGV[1]))
if ARGV[11] ~= '' then
  record_runs(KEYS[11], KEYS[12], ARGV[11], tonumber(ARGV[12]),
    {{metrics_class(ARGV[1], nil), tonumber(ARGV[9]), tonumber(ARGV[10]), 1}})
end
local due = now + tonumber(ARGV[3])
local retried = job_of_entry(ARGV[2])  -- the payload with its retry count and error
record_status(ARGV[7], ARGV[8], retried, now, 'state', 'retrying', 'finished_at', now,
  'error', retried and tostring(retried['error']) or '', 'retry_at', due)
redis.call('ZADD', KEYS[7], due, ARGV[2])
if redis.call('ZRANK', KEYS[7], ARGV[2]) == 0 then
  redis.call('PUBLISH', ARGV[5], due)
end
return 1
