// Anthropic Messages answers and usage: read from Anthropic providers, written for Anthropic
// callers.
#include <algorithm>

#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

bool read_block(const json::object& b, ir::Part& p) {
  const auto type = str(b, "type");
  if (type == "text") {
    p.text.assign(str(b, "text"));
    return true;
  }
  if (read_anthropic_thinking(type, b, p)) return true;
  if (type == "tool_use") {
    p.kind = ir::PartKind::kToolCall;
    p.id.assign(str(b, "id"));
    p.name.assign(str(b, "name"));
    const auto* input = field(b, "input");
    p.arguments = input ? json::serialize(*input) : "{}";
    return true;
  }
  return false;  // server tool results have no counterpart in other dialects
}

json::object write_block(const ir::Part& p) {
  switch (p.kind) {
    case ir::PartKind::kThinking:
      return {{"type", "thinking"}, {"thinking", p.text}, {"signature", p.signature}};
    case ir::PartKind::kRedactedThinking:
      return {{"type", "redacted_thinking"}, {"data", p.text}};
    case ir::PartKind::kToolCall: {
      json::value input = parse_or_null(p.arguments);
      if (!input.is_object()) input = json::object{};
      return {{"type", "tool_use"}, {"id", p.id}, {"name", p.name}, {"input", std::move(input)}};
    }
    default:
      break;
  }
  return {{"type", "text"}, {"text", p.text}};
}

}  // namespace

json::object write_anthropic_usage(const ir::TokenUsage& u) {
  // Anthropic counts uncached input separately from cache reads and writes.
  const std::int64_t uncached =
      std::max<std::int64_t>(0, u.input - u.cache_read - u.cache_creation);
  return {{"input_tokens", uncached},
          {"cache_creation_input_tokens", u.cache_creation},
          {"cache_read_input_tokens", u.cache_read},
          {"output_tokens", u.output}};
}

Result<ir::Response> read_anthropic_response(const json::object& body) {
  ir::Response r;
  r.id.assign(str(body, "id"));
  r.model.assign(str(body, "model"));
  const auto* content = arr(body, "content");
  if (!content)
    return ApiError{502, "api_error", "the provider's answer has no content", {}, {}, {}};
  for (const auto& b : *content) {
    ir::Part p;
    if (b.is_object() && read_block(b.as_object(), p)) r.content.push_back(std::move(p));
  }
  r.stop = read_anthropic_stop_reason(str(body, "stop_reason"));
  r.stop_sequence.assign(str(body, "stop_sequence"));
  if (const auto* u = obj(body, "usage")) r.usage = read_anthropic_usage(*u);
  return r;
}

json::object write_anthropic_response(const ir::Response& r, const RequestContext& ctx) {
  json::array content;
  for (const auto& p : r.content) {
    if (p.kind == ir::PartKind::kText && p.text.empty()) continue;
    content.push_back(write_block(p));
  }
  return {{"id", r.id.empty() ? ctx.request_id : r.id},
          {"type", "message"},
          {"role", "assistant"},
          {"model", r.model.empty() ? ctx.model : r.model},
          {"content", std::move(content)},
          {"stop_reason", anthropic_stop_reason(r.stop)},
          {"stop_sequence",
           r.stop_sequence.empty() ? json::value(nullptr) : json::value(r.stop_sequence)},
          {"usage", write_anthropic_usage(r.usage)}};
}

}  // namespace aigw::translate::detail
