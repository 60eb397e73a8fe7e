# Reads our Redis the way Resque 3's own code and web UI read it, with Ruby's own JSON and time
# parsers, and prints what it found as JSON for tests/jobs/test_resque_compat.py.
#
# Resque's gem is not packaged where this project installs from, so this script repeats its
# reads (each line names where Resque does the same): if a value is off, Ruby raises here just
# as it would in Resque.
#
#   ruby resque_reader.rb read REDIS_URL
#   ruby resque_reader.rb enqueue REDIS_URL QUEUE CLASS ARGS_JSON   (as Resque::Job.create)
require 'redis'
require 'json'
require 'time'
require 'date'

mode, url = ARGV[0], ARGV[1]
redis = Redis.new(url: url)
key = ->(name) { "resque:#{name}" }

if mode == 'enqueue'
  queue, klass, args = ARGV[2], ARGV[3], JSON.parse(ARGV[4])
  redis.sadd(key['queues'], queue)                                          # DataStore#watch_queue
  redis.rpush(key["queue:#{queue}"], JSON.generate(class: klass, args: args)) # Resque.push
  exit 0
end

queues = redis.smembers(key['queues']).sort                                 # Resque.queues
info = {
  'pending' => queues.sum { |q| redis.llen(key["queue:#{q}"]).to_i },      # Resque.info
  'processed' => redis.get(key['stat:processed']).to_i,
  'failed' => redis.llen(key['failed']),
}
waiting = queues.to_h do |q|                                                # the Queues page
  jobs = redis.lrange(key["queue:#{q}"], 0, -1).map { |text| JSON.parse(text) }
  [q, jobs.map { |job| { 'class' => job['class'], 'args' => job['args'] } }]
end

workers = redis.smembers(key['workers']).map do |id|
  host, pid, queues_raw = id.split(':', 3)                                  # Worker.find
  worker_queues = queues_raw.split(',')
  raise "worker #{id} has no queues" if worker_queues.empty?
  record = redis.get(key["worker:#{id}"])                                   # Worker#state, #job
  job = record ? JSON.parse(record) : {}
  started = redis.get(key["worker:#{id}:started"])
  {
    'id' => id, 'host' => host, 'pid' => pid.to_i, 'queues' => worker_queues,
    'state' => record ? 'working' : 'idle',
    'job_queue' => job['queue'],                                            # working.erb
    'job_class' => job['payload'] && job['payload']['class'],
    'job_args' => job['payload'] && job['payload']['args'],
    'run_at' => job['run_at'] && Time.iso8601(job['run_at']).utc.iso8601,
    'started' => Time.strptime(started, '%Y-%m-%d %H:%M:%S %z').utc.iso8601, # Time#to_s format
    'heartbeat' => Time.parse(redis.hget(key['workers:heartbeat'], id)).utc.iso8601, # prune
    'processed' => redis.get(key["stat:processed:#{id}"]).to_i,             # Worker#processed
  }
end
working = workers.select { |w| w['state'] == 'working' }.sort_by { |w| w['run_at'] || '' }

failures = redis.lrange(key['failed'], 0, -1).map do |text|                # Failure::Redis.all
  failure = JSON.parse(text)
  {                                                                         # failed_job.erb
    'failed_at' => DateTime.parse(failure['failed_at']).to_time.utc.iso8601,
    'worker_host_pid' => failure['worker'].split(':')[0...2],
    'backtrace' => failure['backtrace'].join("\n"),
    'class' => failure['payload']['class'], 'args' => failure['payload']['args'],
    'exception' => failure['exception'], 'error' => failure['error'], 'queue' => failure['queue'],
  }
end

# Every heartbeat must parse: a Ruby worker parses them all when it starts (prune_dead_workers).
redis.hgetall(key['workers:heartbeat']).each_value { |value| Time.parse(value) }

puts JSON.generate('queues' => queues, 'info' => info, 'waiting' => waiting,
                   'workers' => workers, 'working' => working.map { |w| w['id'] },
                   'failures' => failures)
