-- fetch: take the next jobs from the first non-empty queues, in priority order, and move them
-- into the worker's in-flight list in the same step. Because the move is atomic, there is no
-- moment at which a job is in neither place: a worker killed right after this still "holds" the
-- jobs in Redis, and whoever finds the dead worker puts them back.
--
-- It first acknowledges the jobs the worker finished since its last call, so that a busy worker
-- pays one round trip per batch: "done with these, give me the next ones". A worker thread
-- running quick jobs takes several at a time (see jobs/fetch.py, BatchFetcher); with nothing
-- to take, it only acknowledges.
--
-- Acknowledging: take each job out of the in-flight list, mark the worker idle and count them.
-- An entry no longer in flight (another worker decided this one was dead and put the job back)
-- is not counted: the job will run again, which at-least-once delivery allows.
--
-- The worker's working record (worker:ID) shows the first job taken: a thread running a batch
-- of quick jobs shows the batch's first job until its next call.
--
-- A job with an entry in the crash counts hash was in flight when a worker died. Such a job is
-- only ever taken alone (a batch ends before it, or it is a batch of one): if the worker dies
-- again, the job it was running is then known, and only that one is counted (see requeue.lua).
--
-- KEYS[1] the worker's in-flight list   KEYS[2] its working record (worker:ID)
-- KEYS[3] stat:processed   KEYS[4] stat:processed:ID   KEYS[5] the crash counts hash
-- KEYS[6] this minute's processed count   KEYS[7], KEYS[8] this minute's run-time metrics and
-- their totals (see lib/metrics.lua)   KEYS[9...] the queues' lists, highest priority first
-- ARGV[1] seconds to keep the minute's count   ARGV[2] the time to show as run_at
-- ARGV[3] how many jobs to take (0: only acknowledge)   ARGV[4] how many finished entries follow
-- ARGV[5...] the in-flight entries of the jobs just finished, then as many run times (in
-- microseconds) and as many run-time buckets, then the queue names, in the same order as
-- KEYS[9...], then when this minute's metrics expire (Unix seconds; '' records no metrics) and
-- how many classes a metrics hash takes, then the unique locks' key prefix, then the job status
-- key prefix and how many seconds a status is kept
--
-- Taking a unique job releases its lock (see jobs/unique.py): from now on a change may queue
-- another copy, which will read what this one may have missed.
-- Returns {{1 or 0 for each finished entry: acknowledged?}, {the in-flight entries taken, each
-- JSON [queue, payload], in queue order}}.

-- include: working_record
-- include: now
-- include: job_status
-- include: metrics
-- include: unique

local finished = tonumber(ARGV[4])
local first_queue_name = 5 + 3 * finished  -- where the queue names start in ARGV
local unique_prefix, status_prefix, status_seconds = ARGV[#ARGV - 2], ARGV[#ARGV - 1], ARGV[#ARGV]
local metrics_until, metrics_most = ARGV[#ARGV - 4], tonumber(ARGV[#ARGV - 3])
local now = now_ms('')

local function acknowledge()
  local flags, count, runs = {}, 0, {}
  -- Crash counts are rare (a worker died): when there are none, none needs deleting.
  local crash_counts = finished > 0 and redis.call('HLEN', KEYS[5]) > 0
  for i = 5, 4 + finished do
    local entry = ARGV[i]
    if redis.call('LREM', KEYS[1], 1, entry) == 1 then
      if crash_counts then redis.call('HDEL', KEYS[5], redis.sha1hex(entry)) end
      local job = job_of_entry(entry)
      record_status(status_prefix, status_seconds, job, now, 'state', 'done', 'finished_at', now)
      if metrics_until ~= '' then
        runs[#runs + 1] = {metrics_class(entry, job), tonumber(ARGV[i + finished]),
          tonumber(ARGV[i + 2 * finished]), 0}
      end
      count = count + 1
      flags[#flags + 1] = 1
    else
      flags[#flags + 1] = 0
    end
  end
  if count > 0 then
    redis.call('DEL', KEYS[2])
    redis.call('INCRBY', KEYS[3], count)
    redis.call('INCRBY', KEYS[4], count)
    if redis.call('INCRBY', KEYS[6], count) == count then
      redis.call('EXPIRE', KEYS[6], ARGV[1])
    end
  end
  if #runs > 0 then record_runs(KEYS[7], KEYS[8], metrics_until, metrics_most, runs) end
  return flags
end

-- How many of the jobs at the front of a queue, ``payloads``, to take after ``already`` others:
-- all of them, unless one of them must run alone (see above).
local function how_many(queue, payloads, already)
  for j, payload in ipairs(payloads) do
    if redis.call('HEXISTS', KEYS[5], redis.sha1hex(cjson.encode({queue, payload}))) == 1 then
      if already + j == 1 then return 1 end  -- first of the batch: it is the whole batch
      return j - 1  -- the batch ends before it
    end
  end
  return #payloads
end

local function take(wanted)
  local taken = {}
  local look_for_suspects = wanted > 1 and redis.call('HLEN', KEYS[5]) > 0
  for i = 9, #KEYS do
    if #taken >= wanted then break end
    local payloads = redis.call('LRANGE', KEYS[i], 0, wanted - #taken - 1)
    local queue = ARGV[first_queue_name + i - 9]
    local count = #payloads
    if look_for_suspects then count = how_many(queue, payloads, #taken) end
    if count > 0 then
      redis.call('LTRIM', KEYS[i], count, -1)
      if #taken == 0 then
        redis.call('SET', KEYS[2], working_record(queue, payloads[1], ARGV[2]))
      end
      for j = 1, count do
        taken[#taken + 1] = cjson.encode({queue, payloads[j]})
        local job = job_with_id(payloads[j])
        record_start(status_prefix, status_seconds, job, queue, now)
        release_unique(unique_prefix, job)
      end
    end
    if count < #payloads then break end  -- a job that must run alone ends the batch
  end
  if #taken > 0 then redis.call('RPUSH', KEYS[1], unpack(taken)) end
  return taken
end

local flags = acknowledge()
return {flags, take(tonumber(ARGV[3]))}
