-- fail: a job raised (or could not be run). Take it out of the in-flight list and append its
-- failure record to the failed list, keeping only the newest records. Counted as processed
-- and as failed, as Resque counts.
-- KEYS[1] in-flight list   KEYS[2] working record   KEYS[3] stat:processed
-- KEYS[4] stat:processed:ID   KEYS[5] stat:failed   KEYS[6] stat:failed:ID
-- KEYS[7] the failed list   KEYS[8] the crash counts hash
-- KEYS[9], KEYS[10] this minute's processed and failed counts
-- ARGV[1] the in-flight entry   ARGV[2] the failure record (JSON)   ARGV[3] how many records to keep
-- ARGV[4] seconds to keep the minute's counts
-- ARGV[5] the job status key prefix   ARGV[6] how many seconds a status is kept
-- KEYS[11], KEYS[12] this minute's run-time metrics and their totals (see lib/metrics.lua)
-- ARGV[7] the run's time in microseconds   ARGV[8] its run-time bucket
-- ARGV[9] when this minute's metrics expire (Unix seconds; '' records no metrics)
-- ARGV[10] how many classes a metrics hash takes
-- Returns 1 if recorded, 0 if the job was no longer in flight.

-- include: now
-- include: job_status
-- include: metrics

if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
local now = now_ms('')
record_status(ARGV[5], ARGV[6], job_of_entry(ARGV[1]), now,
  'state', 'failed', 'finished_at', now, 'error', failure_of(ARGV[2]))
redis.call('DEL', KEYS[2])
redis.call('INCR', KEYS[3])
redis.call('INCR', KEYS[4])
redis.call('INCR', KEYS[5])
redis.call('INCR', KEYS[6])
for i = 9, 10 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[4])
end
redis.call('RPUSH', KEYS[7], ARGV[2])
redis.call('LTRIM', KEYS[7], -tonumber(ARGV[3]), -1)
redis.call('HDEL', KEYS[8], redis.sha1hex(ARGV[1]))
if ARGV[9] ~= '' then
  record_runs(KEYS[11], KEYS[12], ARGV[9], tonumber(ARGV[10]),
    {{metrics_class(ARGV[1], nil), tonumber(ARGV[7]), tonumber(ARGV[8]), 1}})
end
return 1
