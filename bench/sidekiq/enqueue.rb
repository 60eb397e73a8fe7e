# ruby bench/sidekiq/enqueue.rb ACTION COUNT [RATE]: bench/enqueuer.py for Sidekiq, the client
# side as a Rails app would call it. Actions: one COUNT (perform_async per job), bulk COUNT
# (Sidekiq::Client.push_bulk), pickup COUNT RATE (jobs arriving steadily, each stamped with the
# time just before its call). Prints {"seconds": ..., "cpu_seconds": ...}: the time the calls
# took and the CPU this process spent on them.
require "json"
require_relative "jobs"

def clock = Process.clock_gettime(Process::CLOCK_MONOTONIC)
def cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)

def steadily(count, rate, began)
  count.times do |n|
    pause = began + n / rate - clock
    sleep(pause) if pause.positive?
    Pickup.perform_async(Time.now.to_f)
  end
end

action, count, rate = ARGV
count = Integer(count)
began, cpu_began = clock, cpu
case action
when "one" then count.times { Noop.perform_async }
when "bulk" then Sidekiq::Client.push_bulk("class" => Noop, "args" => Array.new(count) { [] })
when "pickup" then steadily(count, Float(rate), began)
else abort("unknown action #{action.inspect}: one, bulk or pickup")
end
puts JSON.generate("seconds" => clock - began, "cpu_seconds" => cpu - cpu_began)
