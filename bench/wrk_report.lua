-- Shared by the HTTP benchmarks: optional POST body from the environment (a {n} in it
-- becomes a per-request counter) and one JSON line of results at the end.
local method = os.getenv("WRK_METHOD") or "GET"
local template = os.getenv("WRK_BODY")
local token = os.getenv("WRK_TOKEN")
local counter = 0

request = function()
  counter = counter + 1
  local headers = { ["Content-Type"] = "application/json" }
  if token then headers["Authorization"] = "Bearer " .. token end
  local body = nil
  if template then body = string.gsub(template, "{n}", tostring(counter)) end
  return wrk.format(method, nil, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99)))
end
