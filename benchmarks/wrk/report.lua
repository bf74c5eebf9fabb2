-- wrk script for the portal benchmark: optional session cookie, exact percentiles as JSON.
--
-- BENCH_COOKIE (environment) is sent as the Cookie header, e.g. "sessionid=abc", for pages that
-- need a signed-in user. done() prints one line "BENCH_JSON {...}" that benchmarks/run.py reads:
-- request count, duration, errors (status = answers that were not 2xx/3xx) and latency
-- percentiles in milliseconds, computed by wrk over every request (not sampled).

local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
wrk.headers["Accept-Language"] = "vi"

function done(summary, latency, requests)
  local percentiles = {}
  for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
    percentiles[#percentiles + 1] = string.format('"p%s": %.3f', tostring(p), latency:percentile(p) / 1000)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_ms": {%s, "mean": %.3f, "max": %.3f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(percentiles, ", "), latency.mean / 1000, latency.max / 1000
  ))
end
