// Google Gemini answers read into the neutral form, whole (generateContent) or as a stream of
// GenerateContentResponse chunks (streamGenerateContent?alt=sse).
#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

ir::StopReason read_finish_reason(std::string_view s, bool called_tools) {
  if (s == "MAX_TOKENS") return ir::StopReason::kMaxTokens;
  if (s == "SAFETY" || s == "RECITATION" || s == "BLOCKLIST" || s == "PROHIBITED_CONTENT" ||
      s == "SPII" || s == "IMAGE_SAFETY" || s == "LANGUAGE") {
    return ir::StopReason::kContentFilter;
  }
  // Gemini says STOP after function calls too.
  return called_tools ? ir::StopReason::kToolUse : ir::StopReason::kEndTurn;
}

const json::object* first_candidate(const json::object& body) {
  const auto* candidates = arr(body, "candidates");
  if (!candidates || candidates->empty() || !candidates->front().is_object()) return nullptr;
  return &candidates->front().as_object();
}

const json::array* candidate_parts(const json::object& candidate) {
  const auto* content = obj(candidate, "content");
  return content ? arr(*content, "parts") : nullptr;
}

// Gemini's calls may have no id: one is made from the answer's id, unique across turns so
// the results the caller sends back pair with the right call.
std::string call_id(const json::object& call, std::string_view response_id, int n) {
  if (const auto id = str(call, "id"); !id.empty()) return std::string(id);
  std::string out = "call_";
  if (!response_id.empty()) {
    out.append(response_id);
    out.push_back('_');
  }
  out.append(std::to_string(n));
  return out;
}

class GeminiDecoder final : public StreamDecoder {
 public:
  void decode(const SseEvent& ev, std::vector<ir::StreamEvent>& out) override {
    json::value v = parse_or_null(ev.data);
    if (v.is_array() && !v.as_array().empty()) v = v.as_array().front();
    if (!v.is_object()) return;
    const auto& chunk = v.as_object();
    if (const auto* err = obj(chunk, "error")) {
      return out.push_back(ir::StreamEvent::of(ir::EventKind::kError)
                               .with_text(str(*err, "message", "provider error"))
                               .with_id(str(*err, "status", "api_error")));
    }
    if (!started_) {
      started_ = true;
      response_id_.assign(str(chunk, "responseId"));
      // Gemini counts the prompt in its first chunk: message_start can carry the real number.
      ir::TokenUsage usage;
      if (const auto* u = obj(chunk, "usageMetadata")) usage = read_gemini_usage(*u);
      out.push_back(ir::StreamEvent::of(ir::EventKind::kStart)
                        .with_id(response_id_)
                        .with_model(str(chunk, "modelVersion"))
                        .with_usage(usage));
    }
    const auto* candidate = first_candidate(chunk);
    if (const auto* parts = candidate ? candidate_parts(*candidate) : nullptr) {
      for (const auto& p : *parts) {
        if (p.is_object()) decode_part(p.as_object(), out);
      }
    }
    if (const auto* u = obj(chunk, "usageMetadata")) {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kUsage).with_usage(read_gemini_usage(*u)));
    }
    if (const auto reason = candidate ? str(*candidate, "finishReason") : ""; !reason.empty()) {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kFinish)
                        .with_stop(read_finish_reason(reason, tools_ > 0)));
    }
  }

 private:
  void decode_part(const json::object& p, std::vector<ir::StreamEvent>& out) {
    if (const auto* call = obj(p, "functionCall")) {
      const int index = tools_++;
      kind_ = ir::EventKind::kToolStart;
      ++part_;
      const json::value* args = field(*call, "args");
      out.push_back(ir::StreamEvent::of(ir::EventKind::kToolStart)
                        .with_part(part_)
                        .with_tool_index(index)
                        .with_id(call_id(*call, response_id_, index))
                        .with_name(str(*call, "name")));
      out.push_back(ir::StreamEvent::of(ir::EventKind::kToolArgs)
                        .with_part(part_)
                        .with_tool_index(index)
                        .with_text(args ? json::serialize(*args) : "{}"));
      return;
    }
    const auto text = str(p, "text");
    if (text.empty()) return;
    const auto kind = bool_or(p, "thought") ? ir::EventKind::kThinking : ir::EventKind::kText;
    if (kind != kind_) {
      kind_ = kind;
      ++part_;
    }
    out.push_back(ir::StreamEvent::of(kind).with_part(part_).with_text(text));
  }

  bool started_ = false;
  std::string response_id_;
  int part_ = -1;
  int tools_ = 0;
  ir::EventKind kind_ = ir::EventKind::kStart;
};

}  // namespace

Result<ir::Response> read_gemini_response(const json::object& body) {
  ir::Response r;
  r.id.assign(str(body, "responseId"));
  r.model.assign(str(body, "modelVersion"));
  if (const auto* u = obj(body, "usageMetadata")) r.usage = read_gemini_usage(*u);
  const auto* candidate = first_candidate(body);
  if (!candidate) {
    // A prompt blocked by safety settings has no candidates, only promptFeedback.
    if (obj(body, "promptFeedback")) {
      r.stop = ir::StopReason::kContentFilter;
      return r;
    }
    return ApiError{502, "api_error", "the provider's answer has no candidates", {}, {}, {}};
  }
  int tools = 0;
  if (const auto* parts = candidate_parts(*candidate)) {
    for (const auto& v : *parts) {
      if (!v.is_object()) continue;
      const auto& p = v.as_object();
      ir::Part part;
      if (const auto* call = obj(p, "functionCall")) {
        part.kind = ir::PartKind::kToolCall;
        part.id = call_id(*call, r.id, tools++);
        part.name.assign(str(*call, "name"));
        const auto* args = field(*call, "args");
        part.arguments = args ? json::serialize(*args) : "{}";
      } else if (const auto text = str(p, "text"); !text.empty()) {
        part.kind = bool_or(p, "thought") ? ir::PartKind::kThinking : ir::PartKind::kText;
        part.text.assign(text);
      } else {
        continue;
      }
      r.content.push_back(std::move(part));
    }
  }
  r.stop = read_finish_reason(str(*candidate, "finishReason"), tools > 0);
  return r;
}

std::unique_ptr<StreamDecoder> make_gemini_decoder() { return std::make_unique<GeminiDecoder>(); }

}  // namespace aigw::translate::detail
