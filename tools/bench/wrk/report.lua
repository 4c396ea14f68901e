-- Every page loads this (plain GETs use it as their script). It counts answers outside 2xx, which wrk's
-- own error count misses for 3xx (a redirect to sign in), and prints one JSON line for tools/bench/load.py.

local threads = {}

function setup(thread)
   thread:set("thread_number", #threads + 1)
   table.insert(threads, thread)
end

non_2xx = 0 -- global: done() reads it from each thread's Lua state

function response(status, headers, body)
   if status < 200 or status > 299 then
      non_2xx = non_2xx + 1
   end
end

function done(summary, latency, requests)
   local non_2xx_total = 0
   for _, thread in ipairs(threads) do
      non_2xx_total = non_2xx_total + thread:get("non_2xx")
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, '
         .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
         .. '"latency_mean_us": %.1f, "latency_p50_us": %d, "latency_p90_us": %d, '
         .. '"latency_p99_us": %d, "latency_max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, non_2xx_total,
      errors.connect, errors.read, errors.write, errors.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
   ))
end
