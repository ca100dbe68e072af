-- wrk script: an OpenAI chat completion through the gateway (or straight to the origin).
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello."}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-portkey-provider"] = "bench"
-- aigw+route: the same request routed by a Portkey config (run.sh sets BENCH_CONFIG).
local config = os.getenv("BENCH_CONFIG")
if config ~= nil and config ~= "" then
  wrk.headers["x-portkey-config"] = config
end
local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
