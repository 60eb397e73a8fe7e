-- give_back: put jobs a worker thread took but has not started back at the front of their
-- queues, in the order they were taken, so that other workers can run them now. A thread gives
-- its batch back when its worker pauses or stops, and when its current job turns out slow
-- (see jobs/fetch.py, BatchFetcher). Not the jobs' fault: no crash is counted.
--
-- It also shows the job the thread is still running in its working record: the record a batch
-- wrote names the batch's first job, which may be long done.
--
-- KEYS[1] the in-flight list   KEYS[2] the working record (worker:ID)   KEYS[3] the queues set
-- KEYS[4...] each entry's queue list
-- ARGV[1] the running job's in-flight entry, or '' (leave the record alone)
-- ARGV[2] the time it started, as run_at   ARGV[3] how many entries follow
-- ARGV[4...] the entries (JSON [queue, payload]), in the order taken, then each one's
-- wake-up channel, in the same order; then the job status key prefix and how many seconds a
-- status is kept
-- Returns how many were given back (an entry no longer in flight is left alone).

-- include: working_record
-- include: now
-- include: job_status

local count = tonumber(ARGV[3])
local given = 0
local now = now_ms('')
for i = count, 1, -1 do  -- last first: each goes in front of the one after it
  local entry = ARGV[3 + i]
  if redis.call('LREM', KEYS[1], 1, entry) == 1 then
    local queue_and_payload = cjson.decode(entry)
    redis.call('SADD', KEYS[3], queue_and_payload[1])
    redis.call('LPUSH', KEYS[3 + i], queue_and_payload[2])
    redis.call('PUBLISH', ARGV[3 + count + i], queue_and_payload[1])
    record_status(ARGV[#ARGV - 1], ARGV[#ARGV], job_with_id(queue_and_payload[2]), now,
      'state', 'waiting')
    given = given + 1
  end
end
if ARGV[1] ~= '' then
  local running = cjson.decode(ARGV[1])
  redis.call('SET', KEYS[2], working_record(running[1], running[2], ARGV[2]))
end
return given
