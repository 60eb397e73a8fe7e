# Benchmark jobs for Sidekiq, loaded by its workers (sidekiq -r ./bench/sidekiq/jobs.rb) and by
# the benchmark's Ruby client (enqueue.rb). The same work as bench/job_body.py: a no-op job
# INCRs one counter, a pickup job records how long it waited. Sidekiq's defaults otherwise; it
# finds the benchmark's Redis through REDIS_URL, as it does by default.
require "sidekiq"
require "connection_pool"
require "redis"

DONE_KEY = "bench:done"
PICKUP_KEY = "bench:pickup"

# The jobs' own connections, one per worker thread: the Python jobs get the same from redis-py's
# connection pool. One shared Redis object would make the threads queue on its lock.
JOB_REDIS = ConnectionPool.new(size: Integer(ENV.fetch("BENCH_THREADS", "10"))) do
  Redis.new(url: ENV.fetch("REDIS_URL"))
end

# Warnings only, like the other systems' workers (--quiet): no log line per job.
Sidekiq.configure_server { |config| config.logger.level = Logger::WARN }

class Noop
  include Sidekiq::Job
  sidekiq_options queue: "bench"

  def perform
    JOB_REDIS.with { |redis| redis.incr(DONE_KEY) }
  end
end

class Pickup
  include Sidekiq::Job
  sidekiq_options queue: "bench"

  def perform(enqueued_at)
    waited = Time.now.to_f - enqueued_at
    JOB_REDIS.with do |redis|
      redis.pipelined do |pipe|
        pipe.rpush(PICKUP_KEY, waited)
        pipe.incr(DONE_KEY)
      end
    end
  end
end
