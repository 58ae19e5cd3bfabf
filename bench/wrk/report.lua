-- Appended to every wrk script of bench/run.py: print the run's figures as one JSON line
-- (latencies in microseconds), which the Python side parses instead of wrk's text output;
-- and give each thread its number, `index` (0, 1, ...), and `lines(file)`, for the scripts.
local threads = {}

function setup(thread)
   thread:set("index", #threads)
   table.insert(threads, thread)
end

function lines(file)
   local found = {}
   for line in io.lines(file) do
      table.insert(found, line)
   end
   return found
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
      '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d, ' ..
      '"max": %d, "mean": %.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean))
end
