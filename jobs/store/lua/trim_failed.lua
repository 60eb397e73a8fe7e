-- trim_failed: drop failure records older than the retention period, oldest first. Records
-- are appended as jobs fail, so the oldest are at the head; stop at the first one that is
-- recent enough (or whose time cannot be read: never delete what we do not understand).
-- failed_at is "YYYY/MM/DD HH:MM:SS UTC", which sorts as text in time order.
-- KEYS[1] the failed list
-- ARGV[1] the cut-off, in the same format   ARGV[2] the most records to drop in one call
-- Returns how many records were dropped.
local dropped = 0
while dropped < tonumber(ARGV[2]) do
  local oldest = redis.call('LINDEX', KEYS[1], 0)
  if not oldest then break end
  local ok, record = pcall(cjson.decode, oldest)
  if not (ok and type(record) == 'table' and type(record['failed_at']) == 'string') then
    break
  end
  local failed_at = record['failed_at']
  if not string.match(failed_at, '^%d%d%d%d/%d%d/%d%d %d%d:%d%d:%d%d') or failed_at >= ARGV[1] then
    break
  end
  redis.call('LPOP', KEYS[1])
  dropped = dropped + 1
end
return dropped
