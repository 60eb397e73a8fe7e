-- land: an idle worker thread on a single queue took a job with a blocking move (BLMOVE) from
-- the queue into its landing list, the moment the job was pushed; now the job "lands": it
-- moves from the landing list into the thread's in-flight list, as an entry like every other
-- (JSON [queue, payload]), and is marked as started, as fetch.lua marks the jobs it takes.
--
-- The blocking move is what makes an idle worker pick a job up in one round trip (no wake-up
-- to read, no fetch to send). It is as crash-safe as fetch: the job is always in exactly one
-- list, the queue, the landing list or the in-flight list, and a worker that dies with a job
-- in its landing list has it put back (return_landing.lua).
--
-- The worker thread sends this right after the blocking move returns and starts the job
-- without waiting for the answer; it reads the answer before it touches Redis for the job again.
--
-- A worker that is no longer registered (it stopped, or was judged dead and its jobs put back)
-- would never be looked at again: the job goes back to the front of its queue instead. (The
-- worker cannot unregister while its landing list holds a job: see unregister.lua.)
--
-- KEYS[1] the thread's landing list   KEYS[2] its in-flight list   KEYS[3] its working record
-- KEYS[4] the workers set   KEYS[5] the queue's list
-- ARGV[1] the queue name   ARGV[2] the payload taken   ARGV[3] the time to show as run_at
-- ARGV[4] the unique locks' key prefix   ARGV[5] the job status key prefix
-- ARGV[6] how many seconds a status is kept   ARGV[7] the worker id (the thread's)
-- Returns the in-flight entry, or false if the job did not land: it was not in the landing
-- list any more (another worker judged this one dead and put it back), or this worker is not
-- registered and it went back.

-- include: working_record
-- include: now
-- include: job_status
-- include: unique

if redis.call('LREM', KEYS[1], 1, ARGV[2]) == 0 then return false end
if redis.call('SISMEMBER', KEYS[4], ARGV[7]) == 0 then
  redis.call('LPUSH', KEYS[5], ARGV[2])
  return false
end
local entry = cjson.encode({ARGV[1], ARGV[2]})
redis.call('RPUSH', KEYS[2], entry)
redis.call('SET', KEYS[3], working_record(ARGV[1], ARGV[2], ARGV[3]))
local job = job_with_id(ARGV[2])
record_start(ARGV[5], ARGV[6], job, ARGV[1], now_ms(''))
-- Taking a unique job releases its lock, as in fetch.lua.
release_unique(ARGV[4], job)
return entry
