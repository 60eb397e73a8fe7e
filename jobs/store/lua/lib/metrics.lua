-- Run-time metrics (see jobs/store/metrics.py, which picks each run's bucket and reads them):
-- per job class, in one hash per minute and in a hash of totals, the fields
--   p:CLASS runs (failed ones too)   f:CLASS failed runs   us:CLASS run time in microseconds
--   hN:CLASS runs whose time fell in bucket N   and 'classes': how many classes the hash holds.
-- A hash takes at most ``most`` classes; a run of any further class is filed under '(other)',
-- so a flood of made-up class names cannot grow it without bound.
-- The minute's hash is named by the caller and passed in KEYS, like every key but one's status.

-- metrics_class(entry, job): the job class an in-flight entry (JSON [queue, payload]) names,
-- cut to 200 characters, or '(unreadable)' when there is none to read (it failed for that
-- reason). ``job``: the payload already decoded (job_of_entry's), or nil to decode it here.
local function metrics_class(entry, job)
  if job == nil then
    local ok, parts = pcall(cjson.decode, entry)
    if ok and type(parts) == 'table' and type(parts[2]) == 'string' then
      local read, decoded = pcall(cjson.decode, parts[2])
      if read then job = decoded end
    end
  end
  if type(job) == 'table' and type(job['class']) == 'string' then
    return string.sub(job['class'], 1, 200)
  end
  return '(unreadable)'
end

-- count_runs(key, class, n, most): add ``n`` runs of ``class`` to ``key``; returns the
-- name they were counted under: the class itself if the hash holds it already or has room
-- for it, else '(other)'. The common case, a class already counted, costs one command.
local function count_runs(key, class, n, most)
  if redis.call('HINCRBY', key, 'p:' .. class, n) > n then return class end
  if redis.call('HINCRBY', key, 'classes', 1) <= most then return class end
  redis.call('HINCRBY', key, 'classes', -1)
  redis.call('HDEL', key, 'p:' .. class)
  redis.call('HINCRBY', key, 'p:(other)', n)
  return '(other)'
end

-- record_runs(minute_key, totals_key, keep_until, most, runs): count ``runs``, a list of
-- {class, microseconds, bucket, failed (1 or 0)}, in both hashes; the minute's expires at
-- ``keep_until`` (Unix seconds). Runs of one class are summed first: a batch of quick jobs
-- of one class costs a few commands, not a few per job.
local function record_runs(minute_key, totals_key, keep_until, most, runs)
  local sums, classes = {}, {}
  for _, run in ipairs(runs) do
    local sum = sums[run[1]]
    if sum == nil then
      sum = {p = 0, f = 0, us = 0, h = {}}
      sums[run[1]] = sum
      classes[#classes + 1] = run[1]
    end
    sum.p, sum.f, sum.us = sum.p + 1, sum.f + run[4], sum.us + run[2]
    sum.h[run[3]] = (sum.h[run[3]] or 0) + 1
  end
  for _, key in ipairs({minute_key, totals_key}) do
    for _, class in ipairs(classes) do
      local sum = sums[class]
      local name = count_runs(key, class, sum.p, most)
      if sum.f > 0 then redis.call('HINCRBY', key, 'f:' .. name, sum.f) end
      redis.call('HINCRBY', key, 'us:' .. name, sum.us)
      for bucket, count in pairs(sum.h) do
        redis.call('HINCRBY', key, 'h' .. bucket .. ':' .. name, count)
      end
    end
  end
  redis.call('EXPIREAT', minute_key, keep_until)
end
