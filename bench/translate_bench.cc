// Cost of dialect translation: ns per request conversion (Claude Code-sized and Codex-sized
// bodies) and per stream event, for each translated direction.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <string>

#include "translate/output_meter.h"
#include "translate/translate.h"

namespace {

namespace json = boost::json;
using aigw::translate::Dialect;

// An agent-like request: system prompt, tools, a few turns with tool calls and results.
json::object anthropic_request() {
  json::array tools;
  for (int i = 0; i < 12; ++i) {
    tools.push_back(json::object{
        {"name", "tool_" + std::to_string(i)},
        {"description", std::string(300, 'd')},
        {"input_schema",
         {{"type", "object"},
          {"properties", {{"path", {{"type", "string"}}}, {"limit", {{"type", "integer"}}}}},
          {"required", json::array{"path"}}}}});
  }
  json::array messages;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "toolu_" + std::to_string(i);
    messages.push_back(json::object{{"role", "user"}, {"content", std::string(400, 'u')}});
    messages.push_back(json::object{
        {"role", "assistant"},
        {"content", json::array{json::object{{"type", "text"}, {"text", std::string(200, 'a')}},
                                json::object{{"type", "tool_use"},
                                             {"id", id},
                                             {"name", "tool_1"},
                                             {"input", {{"path", "src/main.cc"}}}}}}});
    messages.push_back(json::object{
        {"role", "user"},
        {"content",
         json::array{json::object{
             {"type", "tool_result"}, {"tool_use_id", id}, {"content", std::string(2000, 'r')}}}}});
  }
  messages.push_back(json::object{{"role", "user"}, {"content", "go on"}});
  return {{"model", "claude-sonnet-4-5"},
          {"max_tokens", 32000},
          {"stream", true},
          {"system", std::string(4000, 's')},
          {"tools", std::move(tools)},
          {"messages", std::move(messages)},
          {"thinking", {{"type", "enabled"}, {"budget_tokens", 8000}}}};
}

void convert_request(benchmark::State& state, Dialect from, Dialect to, const json::object& body) {
  for (auto _ : state) {
    auto r = aigw::translate::convert_request(from, to, body);
    benchmark::DoNotOptimize(r);
  }
}

void BM_RequestAnthropicToChat(benchmark::State& state) {
  convert_request(state, Dialect::kAnthropicMessages, Dialect::kOpenAiChat, anthropic_request());
}
BENCHMARK(BM_RequestAnthropicToChat);

void BM_RequestChatToAnthropic(benchmark::State& state) {
  auto chat = aigw::translate::convert_request(Dialect::kAnthropicMessages, Dialect::kOpenAiChat,
                                               anthropic_request());
  (*chat)["model"] = "claude-sonnet-4-5";
  convert_request(state, Dialect::kOpenAiChat, Dialect::kAnthropicMessages, *chat);
}
BENCHMARK(BM_RequestChatToAnthropic);

void BM_RequestChatToGemini(benchmark::State& state) {
  auto chat = aigw::translate::convert_request(Dialect::kAnthropicMessages, Dialect::kOpenAiChat,
                                               anthropic_request());
  convert_request(state, Dialect::kOpenAiChat, Dialect::kGoogleGemini, *chat);
}
BENCHMARK(BM_RequestChatToGemini);

void BM_RequestResponsesToAnthropic(benchmark::State& state) {
  json::array input;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "call_" + std::to_string(i);
    input.push_back(json::object{{"role", "user"}, {"content", std::string(400, 'u')}});
    input.push_back(json::object{{"type", "function_call"},
                                 {"call_id", id},
                                 {"name", "shell"},
                                 {"arguments", "{\"command\":[\"ls\"]}"}});
    input.push_back(json::object{
        {"type", "function_call_output"}, {"call_id", id}, {"output", std::string(2000, 'r')}});
  }
  json::object body{{"model", "claude-sonnet-4-5"},
                    {"instructions", std::string(4000, 's')},
                    {"input", std::move(input)},
                    {"stream", true},
                    {"reasoning", {{"effort", "medium"}}},
                    {"tools", json::array{json::object{{"type", "function"},
                                                       {"name", "shell"},
                                                       {"parameters", {{"type", "object"}}}}}}};
  convert_request(state, Dialect::kOpenAiResponses, Dialect::kAnthropicMessages, body);
}
BENCHMARK(BM_RequestResponsesToAnthropic);

// One upstream text-delta event, fed repeatedly into a started stream.
void stream_events(benchmark::State& state, Dialect provider, Dialect caller,
                   const std::string& head, const std::string& event) {
  aigw::translate::RequestContext ctx;
  ctx.model = "m";
  auto conv = aigw::translate::make_stream_converter(provider, caller, ctx);
  std::string out;
  conv->feed(head, out);
  for (auto _ : state) {
    out.clear();
    conv->feed(event, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

const std::string kChatHead =
    "data: "
    "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{"
    "\"index\":0,"
    "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
const std::string kChatDelta =
    "data: "
    "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\","
    "\"choices\":"
    "[{\"index\":0,\"delta\":{\"content\":\" "
    "word\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
const std::string kAnthropicHead =
    "event: message_start\ndata: "
    "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\","
    "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n";
const std::string kAnthropicDelta =
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
    "{\"type\":\"text_delta\",\"text\":\" word\"}}\n\n";
const std::string kGeminiDelta =
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" "
    "word\"}],\"role\":\"model\"},\"index\":0}],"
    "\"usageMetadata\":{\"promptTokenCount\":11,\"totalTokenCount\":11},\"modelVersion\":\"gemini-"
    "2.5-flash\","
    "\"responseId\":\"r\"}\r\n\r\n";

void BM_StreamEventChatToAnthropic(benchmark::State& s) {
  stream_events(s, Dialect::kOpenAiChat, Dialect::kAnthropicMessages, kChatHead, kChatDelta);
}
BENCHMARK(BM_StreamEventChatToAnthropic);

void BM_StreamEventAnthropicToChat(benchmark::State& s) {
  stream_events(s, Dialect::kAnthropicMessages, Dialect::kOpenAiChat, kAnthropicHead,
                kAnthropicDelta);
}
BENCHMARK(BM_StreamEventAnthropicToChat);

void BM_StreamEventAnthropicToResponses(benchmark::State& s) {
  stream_events(s, Dialect::kAnthropicMessages, Dialect::kOpenAiResponses, kAnthropicHead,
                kAnthropicDelta);
}
BENCHMARK(BM_StreamEventAnthropicToResponses);

void BM_StreamEventChatToResponses(benchmark::State& s) {
  stream_events(s, Dialect::kOpenAiChat, Dialect::kOpenAiResponses, kChatHead, kChatDelta);
}
BENCHMARK(BM_StreamEventChatToResponses);

void BM_StreamEventGeminiToChat(benchmark::State& s) {
  stream_events(s, Dialect::kGoogleGemini, Dialect::kOpenAiChat, kGeminiDelta, kGeminiDelta);
}
BENCHMARK(BM_StreamEventGeminiToChat);

void BM_StreamEventPassthroughObserver(benchmark::State& s) {
  stream_events(s, Dialect::kOpenAiChat, Dialect::kOpenAiChat, kChatHead, kChatDelta);
}
BENCHMARK(BM_StreamEventPassthroughObserver);

// A chunk as OpenAI streams it today (fingerprint, service tier, logprobs, "usage": null on
// every chunk when the caller asked for usage): most of its bytes are envelope, few are text.
const std::string kOpenAiChunk =
    "data: "
    "{\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":\"chat.completion.chunk\","
    "\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
    "\"system_fingerprint\":\"fp_f9f4fb6dbf\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\" token7\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n";

void BM_StreamEventPassthroughOpenAiChunk(benchmark::State& s) {
  stream_events(s, Dialect::kOpenAiChat, Dialect::kOpenAiChat, kChatHead, kOpenAiChunk);
}
BENCHMARK(BM_StreamEventPassthroughOpenAiChunk);

// The estimate's input alone: the text under the chat text keys, and whether "usage" holds an
// object, in one read of the event.
void BM_MeasureOpenAiChunk(benchmark::State& s) {
  static constexpr std::string_view kKeys[] = {
      "content", "reasoning_content", "reasoning", "refusal", "name", "arguments"};
  const std::string_view data = std::string_view(kOpenAiChunk).substr(6);
  for (auto _ : s) {
    benchmark::DoNotOptimize(aigw::translate::measure_event(data, kKeys, "usage"));
  }
  s.SetBytesProcessed(static_cast<std::int64_t>(s.iterations() * data.size()));
}
BENCHMARK(BM_MeasureOpenAiChunk);

// The usage of a whole (non-streamed) chat answer, as OpenAI sends it today: read on every
// answer that passes through.
void BM_UsageOfChatAnswer(benchmark::State& s) {
  const std::string answer =
      R"({"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion",)"
      R"("created":1741570283,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":)"
      R"({"role":"assistant","content":"Hello! How can I help you today?","refusal":null,)"
      R"("annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":)"
      R"(19,"completion_tokens":24,"total_tokens":43,"prompt_tokens_details":{"cached_tokens":)"
      R"(0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":)"
      R"(0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":)"
      R"("default","system_fingerprint":"fp_f9f4fb6dbf"})";
  for (auto _ : s) {
    benchmark::DoNotOptimize(aigw::translate::usage_of_answer(Dialect::kOpenAiChat, answer));
  }
}
BENCHMARK(BM_UsageOfChatAnswer);

}  // namespace
