// OpenAI Responses answers written for Responses callers: output items (reasoning, message,
// function_call), status and usage. The stream writer shares the envelope and item shapes.
#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {

std::string responses_id(std::string_view provider_id, const RequestContext& ctx) {
  std::string_view id = provider_id.empty() ? std::string_view(ctx.request_id) : provider_id;
  return starts_with(id, "resp_") ? std::string(id) : "resp_" + std::string(id);
}

std::string responses_item_id(std::string_view prefix, std::string_view response_id, int index) {
  std::string out(prefix);
  out.append(response_id.substr(starts_with(response_id, "resp_") ? 5 : 0));
  out.push_back('_');
  out.append(std::to_string(index));
  return out;
}

json::object responses_envelope(std::string_view id, std::string_view model,
                                std::string_view status, const RequestContext& ctx) {
  return {{"id", id},
          {"object", "response"},
          {"created_at", ctx.created},
          {"status", status},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"model", model.empty() ? std::string_view(ctx.model) : model},
          {"output", json::array{}},
          {"parallel_tool_calls", true},
          {"tool_choice", "auto"},
          {"tools", json::array{}},
          {"usage", nullptr}};
}

json::object responses_message_item(std::string_view id, std::string_view text,
                                    std::string_view status) {
  json::array content;
  if (status == "completed") {
    content.push_back(
        json::object{{"type", "output_text"}, {"text", text}, {"annotations", json::array{}}});
  }
  return {{"id", id},
          {"type", "message"},
          {"status", status},
          {"role", "assistant"},
          {"content", std::move(content)}};
}

json::object responses_reasoning_item(std::string_view id, std::string_view text,
                                      std::string_view encrypted, bool done) {
  json::array summary;
  if (done && !text.empty())
    summary.push_back(json::object{{"type", "summary_text"}, {"text", text}});
  json::object item{{"id", id}, {"type", "reasoning"}, {"summary", std::move(summary)}};
  // Anthropic's signature (or redacted data) rides here so a later turn can send it back.
  if (!encrypted.empty()) item["encrypted_content"] = encrypted;
  return item;
}

json::object responses_function_item(std::string_view id, std::string_view call_id,
                                     std::string_view name, std::string_view arguments,
                                     std::string_view status) {
  return {{"id", id},           {"type", "function_call"},
          {"status", status},   {"arguments", arguments},
          {"call_id", call_id}, {"name", name}};
}

// completed, or incomplete with the reason the SDKs know.
void set_responses_status(json::object& response, ir::StopReason stop) {
  if (stop == ir::StopReason::kMaxTokens || stop == ir::StopReason::kContentFilter) {
    response["status"] = "incomplete";
    response["incomplete_details"] = {
        {"reason", stop == ir::StopReason::kMaxTokens ? "max_output_tokens" : "content_filter"}};
  } else {
    response["status"] = "completed";
  }
}

json::object write_responses_usage(const ir::TokenUsage& u) {
  return {{"input_tokens", u.input},
          {"input_tokens_details", {{"cached_tokens", u.cache_read}}},
          {"output_tokens", u.output},
          {"output_tokens_details", {{"reasoning_tokens", u.reasoning}}},
          {"total_tokens", u.input + u.output}};
}

json::object write_responses_response(const ir::Response& r, const RequestContext& ctx) {
  const std::string id = responses_id(r.id, ctx);
  json::object out = responses_envelope(id, r.model, "completed", ctx);
  json::array output;
  std::string text;
  auto flush_text = [&] {
    if (text.empty()) return;
    const int index = static_cast<int>(output.size());
    output.push_back(
        responses_message_item(responses_item_id("msg_", id, index), text, "completed"));
    text.clear();
  };
  for (const auto& p : r.content) {
    if (p.kind == ir::PartKind::kText) {
      text.append(p.text);
      continue;
    }
    flush_text();
    const int index = static_cast<int>(output.size());
    if (p.kind == ir::PartKind::kThinking) {
      output.push_back(
          responses_reasoning_item(responses_item_id("rs_", id, index), p.text, p.signature, true));
    } else if (p.kind == ir::PartKind::kRedactedThinking) {
      output.push_back(
          responses_reasoning_item(responses_item_id("rs_", id, index), "", p.text, true));
    } else if (p.kind == ir::PartKind::kToolCall) {
      output.push_back(
          responses_function_item("fc_" + p.id, p.id, p.name, p.arguments, "completed"));
    }
  }
  flush_text();
  out["output"] = std::move(output);
  set_responses_status(out, r.stop);
  if (r.usage.known) out["usage"] = write_responses_usage(r.usage);
  return out;
}

}  // namespace aigw::translate::detail
