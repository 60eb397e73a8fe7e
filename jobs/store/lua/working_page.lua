-- working_page: which workers are working (have a working record), a page at a time.
-- Read-only. Counting inside Redis costs one round trip with 5,000 workers as with 5.
-- KEYS[1] the workers set
-- ARGV[1] the key prefix of a worker's working record (ns:worker:)
-- ARGV[2] start (0 is the first)   ARGV[3] how many ids to return
-- Returns {how many are working, then the ids of the page, sorted}.
local working = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then working[#working + 1] = id end
end
table.sort(working)
local page = {#working}
local first = tonumber(ARGV[2]) + 1
for index = first, math.min(#working, first + tonumber(ARGV[3]) - 1) do
  page[#page + 1] = working[index]
end
return page
