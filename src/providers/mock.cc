#include "providers/mock.h"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

namespace aigw::providers {
namespace {

namespace json = boost::json;

int header_int(const HeaderLookup& header, std::string_view name, int fallback) {
  const auto v = header(name);
  if (!v) return fallback;
  int out = fallback;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

std::string_view str_field(const json::object& o, std::string_view key, std::string_view fallback) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return v->as_string();
  return fallback;
}

bool wants_stream(const json::object& request) {
  const auto* v = request.if_contains("stream");
  return v && v->is_bool() && v->as_bool();
}

// A rough token count: about four characters of JSON per token, like the providers' own.
std::int64_t estimate_tokens(const json::value& v) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(json::serialize(v).size() / 4));
}

std::int64_t input_tokens(Endpoint endpoint, const json::object& request) {
  std::int64_t n = 0;
  for (const char* key : {"messages", "input", "system", "instructions", "tools"}) {
    if (const auto* v = request.if_contains(key)) n += estimate_tokens(*v);
  }
  (void)endpoint;
  return std::max<std::int64_t>(n, 1);
}

// Splits the reply into stream pieces: one word (with its leading space) each.
std::vector<std::string> pieces(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ') {
      out.push_back(text.substr(start, i - start));
      start = i;
    }
  }
  return out;
}

std::string reply_text(const json::object& request, const MockControls& c) {
  if (c.reply) return *c.reply;
  return "Hello from the aigw mock provider. This answer is deterministic, model " +
         std::string(str_field(request, "model", "mock")) + ".";
}

std::string sse(std::string_view event, const json::value& data) {
  std::string out;
  if (!event.empty()) out += "event: " + std::string(event) + "\n";
  out += "data: " + json::serialize(data) + "\n\n";
  return out;
}

void answer_chat(const json::object& req, const std::string& text, MockAnswer& a) {
  const std::string model(str_field(req, "model", "mock-gpt"));
  const std::string id = "chatcmpl-mock" + std::to_string(text.size());
  json::object usage{{"prompt_tokens", a.usage.input_tokens},
                     {"completion_tokens", a.usage.output_tokens},
                     {"total_tokens", a.usage.input_tokens + a.usage.output_tokens}};
  if (!a.stream) {
    a.body = json::serialize(json::object{
        {"id", id}, {"object", "chat.completion"}, {"created", 1700000000}, {"model", model},
        {"choices", json::array{json::object{
                        {"index", 0},
                        {"message", {{"role", "assistant"}, {"content", text}}},
                        {"logprobs", nullptr},
                        {"finish_reason", "stop"}}}},
        {"usage", usage}});
    return;
  }
  auto chunk = [&](json::object delta, json::value finish) {
    return sse("", json::object{{"id", id}, {"object", "chat.completion.chunk"},
                                {"created", 1700000000}, {"model", model},
                                {"choices", json::array{json::object{{"index", 0},
                                                                     {"delta", std::move(delta)},
                                                                     {"logprobs", nullptr},
                                                                     {"finish_reason", finish}}}}});
  };
  a.events.push_back(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
  for (const auto& p : pieces(text)) a.events.push_back(chunk({{"content", p}}, nullptr));
  a.events.push_back(chunk({}, "stop"));
  const auto* opts = req.if_contains("stream_options");
  if (opts && opts->is_object() && opts->as_object().if_contains("include_usage") &&
      opts->as_object().at("include_usage") == true) {
    a.events.push_back(sse("", json::object{{"id", id}, {"object", "chat.completion.chunk"},
                                            {"created", 1700000000}, {"model", model},
                                            {"choices", json::array{}}, {"usage", usage}}));
  }
  a.events.push_back("data: [DONE]\n\n");
}

void answer_responses(const json::object& req, const std::string& text, MockAnswer& a) {
  const std::string model(str_field(req, "model", "mock-gpt"));
  const std::string id = "resp_mock" + std::to_string(text.size());
  const std::string msg_id = "msg_mock" + std::to_string(text.size());
  json::object usage{{"input_tokens", a.usage.input_tokens},
                     {"input_tokens_details", {{"cached_tokens", 0}}},
                     {"output_tokens", a.usage.output_tokens},
                     {"output_tokens_details", {{"reasoning_tokens", 0}}},
                     {"total_tokens", a.usage.input_tokens + a.usage.output_tokens}};
  json::object part{{"type", "output_text"}, {"text", text}, {"annotations", json::array{}}};
  json::object item{{"id", msg_id}, {"type", "message"}, {"status", "completed"},
                    {"role", "assistant"}, {"content", json::array{part}}};
  auto response = [&](std::string_view status, bool done) {
    json::object r{{"id", id}, {"object", "response"}, {"created_at", 1700000000},
                   {"status", status}, {"model", model},
                   {"output", done ? json::array{item} : json::array{}},
                   {"usage", done ? json::value(usage) : json::value(nullptr)}};
    return r;
  };
  if (!a.stream) {
    a.body = json::serialize(response("completed", true));
    return;
  }
  int seq = 0;
  auto event = [&](std::string_view type, json::object data) {
    data["type"] = type;
    data["sequence_number"] = seq++;
    a.events.push_back(sse(type, data));
  };
  event("response.created", {{"response", response("in_progress", false)}});
  event("response.in_progress", {{"response", response("in_progress", false)}});
  json::object empty_item = item;
  empty_item["status"] = "in_progress";
  empty_item["content"] = json::array{};
  event("response.output_item.added", {{"output_index", 0}, {"item", empty_item}});
  event("response.content_part.added",
        {{"item_id", msg_id}, {"output_index", 0}, {"content_index", 0},
         {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array{}}}}});
  for (const auto& p : pieces(text)) {
    event("response.output_text.delta",
          {{"item_id", msg_id}, {"output_index", 0}, {"content_index", 0}, {"delta", p}});
  }
  event("response.output_text.done",
        {{"item_id", msg_id}, {"output_index", 0}, {"content_index", 0}, {"text", text}});
  event("response.content_part.done",
        {{"item_id", msg_id}, {"output_index", 0}, {"content_index", 0}, {"part", part}});
  event("response.output_item.done", {{"output_index", 0}, {"item", item}});
  event("response.completed", {{"response", response("completed", true)}});
}

void answer_messages(const json::object& req, const std::string& text, MockAnswer& a) {
  const std::string model(str_field(req, "model", "mock-claude"));
  const std::string id = "msg_mock" + std::to_string(text.size());
  json::object usage{{"input_tokens", a.usage.input_tokens},
                     {"cache_creation_input_tokens", 0},
                     {"cache_read_input_tokens", 0},
                     {"output_tokens", a.usage.output_tokens}};
  if (!a.stream) {
    a.body = json::serialize(json::object{
        {"id", id}, {"type", "message"}, {"role", "assistant"}, {"model", model},
        {"content", json::array{json::object{{"type", "text"}, {"text", text}}}},
        {"stop_reason", "end_turn"}, {"stop_sequence", nullptr}, {"usage", usage}});
    return;
  }
  json::object start_usage = usage;
  start_usage["output_tokens"] = 1;
  a.events.push_back(sse("message_start",
                         json::object{{"type", "message_start"},
                                      {"message", {{"id", id}, {"type", "message"},
                                                   {"role", "assistant"}, {"model", model},
                                                   {"content", json::array{}},
                                                   {"stop_reason", nullptr},
                                                   {"stop_sequence", nullptr},
                                                   {"usage", start_usage}}}}));
  a.events.push_back(sse("content_block_start",
                         json::object{{"type", "content_block_start"}, {"index", 0},
                                      {"content_block", {{"type", "text"}, {"text", ""}}}}));
  a.events.push_back(sse("ping", json::object{{"type", "ping"}}));
  for (const auto& p : pieces(text)) {
    a.events.push_back(sse("content_block_delta",
                           json::object{{"type", "content_block_delta"}, {"index", 0},
                                        {"delta", {{"type", "text_delta"}, {"text", p}}}}));
  }
  a.events.push_back(sse("content_block_stop", json::object{{"type", "content_block_stop"}, {"index", 0}}));
  a.events.push_back(sse("message_delta",
                         json::object{{"type", "message_delta"},
                                      {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                                      {"usage", {{"output_tokens", a.usage.output_tokens}}}}));
  a.events.push_back(sse("message_stop", json::object{{"type", "message_stop"}}));
}

MockAnswer too_large(Endpoint endpoint, const std::string& what);

// Deterministic unit-length vectors derived from the input text. Bounded: the answer is built
// in memory, and a caller chooses inputs x dimensions.
void answer_embeddings(Endpoint endpoint, const json::object& req, MockAnswer& a) {
  std::vector<std::string> inputs;
  if (const auto* in = req.if_contains("input")) {
    if (in->is_string()) inputs.emplace_back(in->as_string());
    if (in->is_array()) {
      for (const auto& v : in->as_array()) inputs.push_back(v.is_string() ? std::string(v.as_string()) : json::serialize(v));
    }
  }
  std::int64_t dims = 8;
  if (const auto* d = req.if_contains("dimensions"); d && d->is_int64()) dims = std::clamp<std::int64_t>(d->as_int64(), 1, 4096);
  if (inputs.size() > kMockMaxEmbeddingInputs ||
      static_cast<std::uint64_t>(dims) * inputs.size() > kMockMaxEmbeddingValues) {
    a = too_large(endpoint, std::to_string(inputs.size()) + " inputs x " + std::to_string(dims) +
                                " dimensions exceed the mock's limits (" + std::to_string(kMockMaxEmbeddingInputs) +
                                " inputs, " + std::to_string(kMockMaxEmbeddingValues) + " values)");
    return;
  }
  json::array data;
  std::int64_t tokens = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : inputs[i]) h = (h ^ ch) * 1099511628211ull;
    json::array vec;
    double norm = 0;
    std::vector<double> raw;
    for (std::int64_t k = 0; k < dims; ++k) {
      h = h * 6364136223846793005ull + 1442695040888963407ull;
      raw.push_back(static_cast<double>(h >> 11) / static_cast<double>(1ull << 53) - 0.5);
      norm += raw.back() * raw.back();
    }
    for (double x : raw) vec.push_back(x / std::sqrt(norm));
    data.push_back(json::object{{"object", "embedding"}, {"index", i}, {"embedding", vec}});
    tokens += std::max<std::int64_t>(1, static_cast<std::int64_t>(inputs[i].size() / 4));
  }
  a.usage = {tokens, 0, 0, true};
  a.body = json::serialize(json::object{
      {"object", "list"}, {"data", data}, {"model", str_field(req, "model", "mock-embedding")},
      {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
}

// An error answer in the endpoint's own dialect.
MockAnswer error_answer(Endpoint endpoint, int status, const std::string& type, const std::string& message) {
  MockAnswer a;
  a.status = status;
  if (endpoint_api(endpoint) == ProviderApi::kAnthropic) {
    a.body = json::serialize(json::object{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}});
  } else {
    a.body = json::serialize(json::object{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}});
  }
  return a;
}

MockAnswer too_large(Endpoint endpoint, const std::string& what) {
  return error_answer(endpoint, 400, "invalid_request_error", "mock provider: " + what);
}

MockAnswer failure(Endpoint endpoint, const MockControls& c) {
  const std::string message = "mock provider failure (status " + std::to_string(c.status) + ")";
  const std::string type = c.status == 429 ? "rate_limit_error" : (c.status == 401 ? "authentication_error" : "api_error");
  MockAnswer a = error_answer(endpoint, c.status, type, message);
  if (c.status == 429) a.headers.emplace_back("Retry-After", std::to_string(c.retry_after));
  return a;
}

}  // namespace

MockControls parse_mock_controls(const HeaderLookup& header) {
  MockControls c;
  c.latency_ms = std::clamp(header_int(header, "x-aigw-mock-latency-ms", 0), 0, kMockMaxLatencyMs);
  c.chunk_delay_ms = std::clamp(header_int(header, "x-aigw-mock-chunk-delay-ms", 0), 0, kMockMaxChunkDelayMs);
  c.status = header_int(header, "x-aigw-mock-status", 0);
  if (c.status < 100 || c.status > 599) c.status = 0;
  c.retry_after = std::clamp(header_int(header, "x-aigw-mock-retry-after", 7), 0, 3600);
  c.drop_after = header_int(header, "x-aigw-mock-drop-after", -1);
  if (const auto r = header("x-aigw-mock-reply")) c.reply = std::string(*r);
  return c;
}

MockAnswer mock_answer(Endpoint endpoint, const json::object& request, const MockControls& c) {
  if (c.status >= 400) return failure(endpoint, c);
  MockAnswer a;
  a.headers.emplace_back("Content-Type", "application/json");
  if (endpoint == Endpoint::kEmbeddings) {
    answer_embeddings(endpoint, request, a);
    return a;
  }
  if (endpoint == Endpoint::kCountTokens) {
    a.usage = {input_tokens(endpoint, request), 0, 0, true};
    a.body = json::serialize(json::object{{"input_tokens", a.usage.input_tokens}});
    return a;
  }
  const std::string text = reply_text(request, c);
  a.usage = {input_tokens(endpoint, request), static_cast<std::int64_t>(pieces(text).size()), 0, true};
  a.stream = wants_stream(request);
  if (a.stream) a.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  switch (endpoint) {
    case Endpoint::kResponses: answer_responses(request, text, a); break;
    case Endpoint::kMessages: answer_messages(request, text, a); break;
    default: answer_chat(request, text, a); break;
  }
  return a;
}

}  // namespace aigw::providers
