-- A job's status: what just happened to it, in a hash at PREFIX .. its id, kept for a while
-- (see jobs/store/status.py). The scripts that take and settle jobs write it. The id is read
-- from the payload: a payload without one (Resque's own, or one that is not JSON) has no
-- status, and the job runs or fails all the same.
-- Status keys are built here from the job's id, which only the script knows once it has taken
-- the job: the one kind of key a script touches without it being in its KEYS.

-- job_with_id(payload): the payload as a table if it is a JSON object with a text id, else nil.
local function job_with_id(payload)
  local ok, job = pcall(cjson.decode, payload)
  if ok and type(job) == 'table' and type(job['id']) == 'string' then return job end
  return nil
end

-- record_status(prefix, seconds, job, now_ms, field, value, ...): set these fields of the job's
-- status (job: from job_with_id; nothing happens for nil) and keep it ``seconds`` from now.
local function record_status(prefix, seconds, job, now_ms, ...)
  if job == nil then return end
  local key = prefix .. job['id']
  redis.call('HSET', key, 'updated_at', now_ms, ...)
  redis.call('EXPIRE', key, seconds)
end

-- job_of_entry(entry): job_with_id for the payload in an in-flight entry, JSON [queue, payload].
local function job_of_entry(entry)
  local ok, parts = pcall(cjson.decode, entry)
  if ok and type(parts) == 'table' and type(parts[2]) == 'string' then
    return job_with_id(parts[2])
  end
  return nil
end

-- record_start(prefix, seconds, job, queue, now_ms): a worker has taken the job (job: from
-- job_with_id). Times are Unix milliseconds, like every other time in a status.
local function record_start(prefix, seconds, job, queue, now_ms)
  if job == nil then return end
  local enqueued = job['enqueued_at']
  local enqueued_ms = type(enqueued) == 'number' and math.floor(enqueued * 1000) or ''
  record_status(prefix, seconds, job, now_ms, 'state', 'running', 'queue', queue,
    'class', tostring(job['class']), 'enqueued_at', enqueued_ms, 'started_at', now_ms,
    'finished_at', '', 'error', '')
end

-- failure_of(record): "Exception: message" from a failure record (JSON), for a status.
local function failure_of(record)
  local ok, failure = pcall(cjson.decode, record)
  if not ok or type(failure) ~= 'table' then return '' end
  return tostring(failure['exception']) .. ': ' .. tostring(failure['error'])
end
