// OpenAI Chat Completions answers and usage: read from chat providers, written for chat callers.
#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

// Compatible servers (DeepSeek, vLLM, OpenRouter) send their reasoning text in one of these.
std::string_view reasoning_text(const json::object& o) {
  const auto text = str(o, "reasoning_content");
  return text.empty() ? str(o, "reasoning") : text;
}

void read_message(const json::object& m, ir::Response& r) {
  if (const auto thinking = reasoning_text(m); !thinking.empty()) {
    ir::Part p;
    p.kind = ir::PartKind::kThinking;
    p.text.assign(thinking);
    r.content.push_back(std::move(p));
  }
  std::string_view text = str(m, "content");
  if (text.empty()) text = str(m, "refusal");
  if (!text.empty()) {
    ir::Part p;
    p.text.assign(text);
    r.content.push_back(std::move(p));
  }
  if (const auto* calls = arr(m, "tool_calls")) {
    for (const auto& c : *calls) {
      const auto* fn = c.is_object() ? obj(c.as_object(), "function") : nullptr;
      if (!fn) continue;
      ir::Part p;
      p.kind = ir::PartKind::kToolCall;
      p.id.assign(str(c.as_object(), "id"));
      p.name.assign(str(*fn, "name"));
      p.arguments.assign(str(*fn, "arguments", "{}"));
      r.content.push_back(std::move(p));
    }
  }
}

std::string_view id_or(std::string_view id, const RequestContext& ctx) {
  return id.empty() ? std::string_view(ctx.request_id) : id;
}

}  // namespace

json::object write_chat_usage(const ir::TokenUsage& u) {
  json::object out{{"prompt_tokens", u.input},
                   {"completion_tokens", u.output},
                   {"total_tokens", u.input + u.output},
                   {"prompt_tokens_details", {{"cached_tokens", u.cache_read}}}};
  if (u.reasoning) out["completion_tokens_details"] = {{"reasoning_tokens", u.reasoning}};
  return out;
}

Result<ir::Response> read_chat_response(const json::object& body) {
  ir::Response r;
  r.id.assign(str(body, "id"));
  r.model.assign(str(body, "model"));
  const auto* choices = arr(body, "choices");
  if (!choices || choices->empty() || !choices->front().is_object()) {
    return ApiError{502, "api_error", "the provider's answer has no choices", {}, {}, {}};
  }
  const auto& choice = choices->front().as_object();
  if (const auto* m = obj(choice, "message")) read_message(*m, r);
  r.stop = read_chat_finish_reason(str(choice, "finish_reason"));
  if (const auto* u = obj(body, "usage")) r.usage = read_chat_usage(*u);
  return r;
}

json::object write_chat_response(const ir::Response& r, const RequestContext& ctx) {
  std::string text;
  std::string thinking;
  json::array calls;
  for (const auto& p : r.content) {
    if (p.kind == ir::PartKind::kText) text.append(p.text);
    if (p.kind == ir::PartKind::kThinking) thinking.append(p.text);
    if (p.kind != ir::PartKind::kToolCall) continue;
    calls.push_back(json::object{{"id", p.id},
                                 {"type", "function"},
                                 {"function", {{"name", p.name}, {"arguments", p.arguments}}}});
  }
  json::object message{
      {"role", "assistant"},
      {"content", text.empty() && !calls.empty() ? json::value(nullptr) : json::value(text)}};
  // Not in OpenAI's schema, but the field compatible clients read reasoning from.
  if (!thinking.empty()) message["reasoning_content"] = thinking;
  if (!calls.empty()) message["tool_calls"] = std::move(calls);
  json::object choice{{"index", 0},
                      {"message", std::move(message)},
                      {"logprobs", nullptr},
                      {"finish_reason", chat_finish_reason(r.stop)}};
  json::object out{{"id", id_or(r.id, ctx)},
                   {"object", "chat.completion"},
                   {"created", ctx.created},
                   {"model", r.model.empty() ? ctx.model : r.model},
                   {"choices", json::array{std::move(choice)}}};
  if (r.usage.known) out["usage"] = write_chat_usage(r.usage);
  return out;
}

}  // namespace aigw::translate::detail
