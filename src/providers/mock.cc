#include "providers/mock.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "translate/error_body.h"
#include "translate/neutral.h"

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

// Every mock answer claims this creation time: answers are deterministic.
constexpr std::int64_t kMockCreated = 1700000000;

translate::Dialect dialect_of(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kResponses:
      return translate::Dialect::kOpenAiResponses;
    case Endpoint::kMessages:
      return translate::Dialect::kAnthropicMessages;
    default:
      return translate::Dialect::kOpenAiChat;
  }
}

// A text answer built in the neutral form and written by translate/'s own writers and stream
// encoders, so the mock speaks each dialect exactly as a translated provider does.
void answer_text(Endpoint endpoint, const json::object& req, const std::string& text,
                 MockAnswer& a) {
  namespace ir = translate::ir;
  const translate::Dialect dialect = dialect_of(endpoint);
  translate::RequestContext ctx = translate::context_from_request(dialect, req);
  const bool anthropic = dialect == translate::Dialect::kAnthropicMessages;
  if (ctx.model.empty()) ctx.model = anthropic ? "mock-claude" : "mock-gpt";
  const std::string_view prefix = anthropic ? "msg_mock"
                                  : dialect == translate::Dialect::kOpenAiResponses
                                      ? "resp_mock"
                                      : "chatcmpl-mock";
  const std::string id = std::string(prefix) + std::to_string(text.size());
  ctx.request_id = id;
  ctx.created = kMockCreated;
  ir::TokenUsage usage;
  usage.known = true;
  usage.input = a.usage.input_tokens;
  usage.output = a.usage.output_tokens;
  if (!a.stream) {
    ir::Response response;
    response.id = id;
    response.model = ctx.model;
    ir::Part part;
    part.text = text;
    response.content.push_back(std::move(part));
    response.usage = usage;
    a.body = json::serialize(translate::write_answer(dialect, response, ctx));
    return;
  }
  ir::TokenUsage at_start = usage;  // what a provider knows when it starts: the prompt
  at_start.output = 0;
  std::vector<ir::StreamEvent> events;
  events.push_back(ir::StreamEvent::of(ir::EventKind::kStart)
                       .with_id(id)
                       .with_model(ctx.model)
                       .with_usage(at_start));
  for (const auto& p : pieces(text))
    events.push_back(ir::StreamEvent::of(ir::EventKind::kText).with_text(p));
  events.push_back(ir::StreamEvent::of(ir::EventKind::kUsage).with_usage(usage));
  events.push_back(ir::StreamEvent::of(ir::EventKind::kFinish).with_stop(ir::StopReason::kEndTurn));
  events.push_back(ir::StreamEvent::of(ir::EventKind::kDone));
  a.events = translate::write_stream_events(dialect, events, ctx);
}

MockAnswer too_large(Endpoint endpoint, const std::string& what);

// Deterministic unit-length vectors derived from the input text. Bounded: the answer is built
// in memory, and a caller chooses inputs x dimensions.
void answer_embeddings(Endpoint endpoint, const json::object& req, MockAnswer& a) {
  std::vector<std::string> inputs;
  if (const auto* in = req.if_contains("input")) {
    if (in->is_string()) inputs.emplace_back(in->as_string());
    if (in->is_array()) {
      for (const auto& v : in->as_array())
        inputs.push_back(v.is_string() ? std::string(v.as_string()) : json::serialize(v));
    }
  }
  std::int64_t dims = 8;
  if (const auto* d = req.if_contains("dimensions"); d && d->is_int64())
    dims = std::clamp<std::int64_t>(d->as_int64(), 1, 4096);
  if (inputs.size() > kMockMaxEmbeddingInputs ||
      static_cast<std::uint64_t>(dims) * inputs.size() > kMockMaxEmbeddingValues) {
    a = too_large(endpoint, std::to_string(inputs.size()) + " inputs x " + std::to_string(dims) +
                                " dimensions exceed the mock's limits (" +
                                std::to_string(kMockMaxEmbeddingInputs) + " inputs, " +
                                std::to_string(kMockMaxEmbeddingValues) + " values)");
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
  a.body = json::serialize(
      json::object{{"object", "list"},
                   {"data", data},
                   {"model", str_field(req, "model", "mock-embedding")},
                   {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
}

// An error answer in the endpoint's own dialect.
MockAnswer error_answer(Endpoint endpoint, int status, const std::string& type,
                        const std::string& message) {
  MockAnswer a;
  a.status = status;
  a.body = json::serialize(endpoint_api(endpoint) == ProviderApi::kAnthropic
                               ? translate::anthropic_error_body(type, message)
                               : translate::openai_error_body(message, type));
  return a;
}

MockAnswer too_large(Endpoint endpoint, const std::string& what) {
  return error_answer(endpoint, 400, "invalid_request_error", "mock provider: " + what);
}

MockAnswer failure(Endpoint endpoint, const MockControls& c) {
  const std::string message = "mock provider failure (status " + std::to_string(c.status) + ")";
  const std::string type = c.status == 429
                               ? "rate_limit_error"
                               : (c.status == 401 ? "authentication_error" : "api_error");
  MockAnswer a = error_answer(endpoint, c.status, type, message);
  if (c.status == 429) a.headers.emplace_back("Retry-After", std::to_string(c.retry_after));
  return a;
}

}  // namespace

MockControls parse_mock_controls(const HeaderLookup& header) {
  MockControls c;
  c.latency_ms = std::clamp(header_int(header, "x-aigw-mock-latency-ms", 0), 0, kMockMaxLatencyMs);
  c.chunk_delay_ms =
      std::clamp(header_int(header, "x-aigw-mock-chunk-delay-ms", 0), 0, kMockMaxChunkDelayMs);
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
  a.usage = {input_tokens(endpoint, request), static_cast<std::int64_t>(pieces(text).size()), 0,
             true};
  a.stream = wants_stream(request);
  if (a.stream) a.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  answer_text(endpoint, request, text, a);
  return a;
}

}  // namespace aigw::providers
