-- failure_slices: a range of the failed list, each record cut to what a page can show.
-- Read-only. A record may be megabytes (a huge payload, kept whole by an older version or by
-- another Resque); sending it to the monitor to show 500 characters of it made one page read
-- a quarter of a gigabyte. A record no longer than ARGV[3] comes whole; a longer one comes as
-- its first ARGV[4] and last ARGV[5] bytes, which hold everything but the middle of its payload.
-- Records are read one at a time: one LRANGE of many huge records is slow to hand to Lua.
-- Redis still copies each record once to cut it (no command reads part of a list element):
-- about 35 ms per 10 MB record where we measured, against 262 MB sent to the monitor
-- before. Records that big are refused where they are made; this keeps old ones readable.
-- KEYS[1] the failed list
-- ARGV[1] start   ARGV[2] stop (as LRANGE takes them: inclusive, negative from the end)
-- ARGV[3] whole up to this many bytes   ARGV[4] head bytes   ARGV[5] tail bytes
-- Returns {length, head, tail} for each record, flattened; tail is '' for a whole record.
local length = redis.call('LLEN', KEYS[1])
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
if first < 0 then first = math.max(0, length + first) end
if last < 0 then last = length + last end
last = math.min(last, length - 1)
local whole, head, tail = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local slices = {}
for index = first, last do
  local record = redis.call('LINDEX', KEYS[1], index)
  if record then
    slices[#slices + 1] = #record
    if #record <= whole then
      slices[#slices + 1] = record
      slices[#slices + 1] = ''
    else
      slices[#slices + 1] = string.sub(record, 1, head)
      slices[#slices + 1] = string.sub(record, -tail)
    end
  end
end
return slices
