-- wrk script: a streamed OpenAI chat completion (stream_options.include_usage, so the answer
-- through aigw's passthrough is the origin's bytes) from the provider in BENCH_PROVIDER.
-- run.sh's check_stream sends the same body: keep `local body` on one line.
local body = '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hello."}]}'
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-portkey-provider"] = os.getenv("BENCH_PROVIDER") or "bench-sse"
local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
