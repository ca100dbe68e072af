// Mappings shared by several dialects: stop reasons, data URLs, thinking effort vs budget.
#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {

std::string_view chat_finish_reason(ir::StopReason s) {
  switch (s) {
    case ir::StopReason::kMaxTokens:
      return "length";
    case ir::StopReason::kToolUse:
      return "tool_calls";
    case ir::StopReason::kContentFilter:
      return "content_filter";
    case ir::StopReason::kEndTurn:
    case ir::StopReason::kStopSequence:
      break;
  }
  return "stop";
}

ir::StopReason read_chat_finish_reason(std::string_view s) {
  if (s == "length") return ir::StopReason::kMaxTokens;
  if (s == "tool_calls" || s == "function_call") return ir::StopReason::kToolUse;
  if (s == "content_filter") return ir::StopReason::kContentFilter;
  return ir::StopReason::kEndTurn;
}

std::string_view anthropic_stop_reason(ir::StopReason s) {
  switch (s) {
    case ir::StopReason::kMaxTokens:
      return "max_tokens";
    case ir::StopReason::kToolUse:
      return "tool_use";
    case ir::StopReason::kStopSequence:
      return "stop_sequence";
    case ir::StopReason::kContentFilter:
      return "refusal";
    case ir::StopReason::kEndTurn:
      break;
  }
  return "end_turn";
}

ir::StopReason read_anthropic_stop_reason(std::string_view s) {
  if (s == "max_tokens" || s == "model_context_window_exceeded") return ir::StopReason::kMaxTokens;
  if (s == "tool_use") return ir::StopReason::kToolUse;
  if (s == "stop_sequence") return ir::StopReason::kStopSequence;
  if (s == "refusal") return ir::StopReason::kContentFilter;
  return ir::StopReason::kEndTurn;  // end_turn, pause_turn
}

bool split_data_url(std::string_view url, std::string& media_type, std::string& data) {
  // data:<media type>;base64,<data>
  if (!starts_with(url, "data:")) return false;
  const auto semi = url.find(";base64,");
  if (semi == std::string_view::npos) return false;
  media_type.assign(url.substr(5, semi - 5));
  data.assign(url.substr(semi + 8));
  return true;
}

std::string make_data_url(std::string_view media_type, std::string_view data) {
  std::string out = "data:";
  out.append(media_type);
  out.append(";base64,");
  out.append(data);
  return out;
}

// Budgets chosen so that each step roughly doubles the thinking, starting at Anthropic's
// minimum of 1024 tokens.
std::int64_t budget_for_effort(std::string_view effort) {
  if (effort == "minimal" || effort == "low") return 1024;
  if (effort == "high") return 16384;
  return 4096;  // medium, and unknown words
}

std::string effort_for_budget(std::int64_t budget) {
  if (budget < 2048) return "low";
  if (budget < 12288) return "medium";
  return "high";
}

void EncoderSkeleton::encode(const ir::StreamEvent& ev, std::string& out) {
  if (closed_) return;
  switch (ev.kind) {
    case ir::EventKind::kStart:
      if (!ev.id.empty()) adopt_id(ev.id);
      if (!ev.model.empty()) model_ = ev.model;
      if (ev.usage.known) usage_ = ev.usage;
      identity_changed();
      return ensure_started(out);
    case ir::EventKind::kUsage:
      usage_ = ev.usage;
      return;
    case ir::EventKind::kError:
      return fail(ev.id, ev.text, out);
    default:
      return on_event(ev, out);
  }
}

void EncoderSkeleton::fail(std::string_view type, std::string_view message, std::string& out) {
  if (closed_) return;
  write_error(type, message, out);
  closed_ = true;
}

}  // namespace aigw::translate::detail
