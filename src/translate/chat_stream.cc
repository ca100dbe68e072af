// OpenAI Chat Completions streams: chunks from chat providers into neutral events, and neutral
// events into chunks for chat callers (role on the first chunk, tool calls by index, [DONE]).
#include <map>

#include "core/json_text.h"
#include "translate/dialects.h"
#include "translate/error_body.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

class ChatDecoder final : public StreamDecoder {
 public:
  void decode(const SseEvent& ev, std::vector<ir::StreamEvent>& out) override {
    if (ev.data == "[DONE]") return out.push_back(ir::StreamEvent::of(ir::EventKind::kDone));
    const json::value v = parse_or_null(ev.data);
    if (!v.is_object()) return;
    const auto& chunk = v.as_object();
    if (const auto* err = obj(chunk, "error")) {
      return out.push_back(ir::StreamEvent::of(ir::EventKind::kError)
                               .with_text(str(*err, "message", "provider error"))
                               .with_id(str(*err, "type", "api_error")));
    }
    if (!started_) {
      started_ = true;
      out.push_back(ir::StreamEvent::of(ir::EventKind::kStart)
                        .with_id(str(chunk, "id"))
                        .with_model(str(chunk, "model")));
    }
    if (const auto* choices = arr(chunk, "choices");
        choices && !choices->empty() && choices->front().is_object()) {
      decode_choice(choices->front().as_object(), out);
    }
    if (const auto* u = obj(chunk, "usage")) {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kUsage).with_usage(read_chat_usage(*u)));
    }
  }

 private:
  struct ToolSlot {
    int tool_index = 0;
    int part = 0;
    std::string id;
  };

  void decode_choice(const json::object& choice, std::vector<ir::StreamEvent>& out) {
    if (const auto* delta = obj(choice, "delta")) {
      std::string_view thinking = str(*delta, "reasoning_content");
      if (thinking.empty()) thinking = str(*delta, "reasoning");
      if (!thinking.empty()) emit_text(ir::EventKind::kThinking, thinking, out);
      if (const auto text = str(*delta, "content"); !text.empty()) {
        emit_text(ir::EventKind::kText, text, out);
      }
      if (const auto* calls = arr(*delta, "tool_calls")) {
        for (std::size_t i = 0; i < calls->size(); ++i) {
          if ((*calls)[i].is_object()) decode_tool_call((*calls)[i].as_object(), i, out);
        }
      }
    }
    if (const auto reason = str(choice, "finish_reason"); !reason.empty()) {
      ir::StopReason stop = read_chat_finish_reason(reason);
      // Some compatible servers answer "stop" after calling tools.
      if (stop == ir::StopReason::kEndTurn && !tools_.empty()) stop = ir::StopReason::kToolUse;
      out.push_back(ir::StreamEvent::of(ir::EventKind::kFinish).with_stop(stop));
    }
  }

  void emit_text(ir::EventKind kind, std::string_view text, std::vector<ir::StreamEvent>& out) {
    if (kind != current_kind_) {
      current_kind_ = kind;
      ++part_;
    }
    out.push_back(ir::StreamEvent::of(kind).with_part(part_).with_text(text));
  }

  // Calls are keyed by their index; a server that omits it or reuses it with a new id still
  // gets one call per id.
  void decode_tool_call(const json::object& call, std::size_t position,
                        std::vector<ir::StreamEvent>& out) {
    const auto key = opt_int(call, "index").value_or(static_cast<std::int64_t>(position));
    const auto id = str(call, "id");
    const auto* fn = obj(call, "function");
    auto it = slots_.find(key);
    if (it == slots_.end() || (!id.empty() && id != it->second.id)) {
      ToolSlot slot{static_cast<int>(tools_.size()), ++part_, std::string(id)};
      if (slot.id.empty()) slot.id = "call_" + std::to_string(slot.tool_index);
      tools_.push_back(slot.id);
      it = slots_.insert_or_assign(key, slot).first;
      current_kind_ = ir::EventKind::kToolStart;
      out.push_back(ir::StreamEvent::of(ir::EventKind::kToolStart)
                        .with_part(slot.part)
                        .with_tool_index(slot.tool_index)
                        .with_id(slot.id)
                        .with_name(fn ? std::string(str(*fn, "name")) : std::string()));
    }
    if (const auto args = fn ? str(*fn, "arguments") : std::string_view(); !args.empty()) {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kToolArgs)
                        .with_part(it->second.part)
                        .with_tool_index(it->second.tool_index)
                        .with_text(args));
    }
  }

  bool started_ = false;
  int part_ = -1;
  ir::EventKind current_kind_ = ir::EventKind::kStart;
  std::map<std::int64_t, ToolSlot> slots_;
  std::vector<std::string> tools_;
};

class ChatEncoder final : public EncoderSkeleton {
 public:
  explicit ChatEncoder(const RequestContext& ctx) : EncoderSkeleton(ctx, ctx.request_id) {}

 private:
  void on_event(const ir::StreamEvent& ev, std::string& out) override {
    switch (ev.kind) {
      case ir::EventKind::kText:
        return text_delta(ev.text, out);
      case ir::EventKind::kThinking:
        // Not in OpenAI's schema; the field compatible clients read reasoning from.
        return delta(out, {{"reasoning_content", ev.text}});
      case ir::EventKind::kToolStart:
        has_tools_ = true;
        return delta(out,
                     {{"tool_calls", json::array{json::object{
                                         {"index", ev.tool_index},
                                         {"id", ev.id},
                                         {"type", "function"},
                                         {"function", {{"name", ev.name}, {"arguments", ""}}}}}}});
      case ir::EventKind::kToolArgs:
        return delta(out, {{"tool_calls",
                            json::array{json::object{{"index", ev.tool_index},
                                                     {"function", {{"arguments", ev.text}}}}}}});
      case ir::EventKind::kFinish:
        return finish_chunk(chat_finish_reason(ev.stop), out);
      case ir::EventKind::kDone:
        return close(out);
      case ir::EventKind::kSignature:
      case ir::EventKind::kRedactedThinking:
        return;  // no chat counterpart
      case ir::EventKind::kStart:
      case ir::EventKind::kUsage:
      case ir::EventKind::kError:
        return;  // the skeleton's
    }
  }

  void write_error(std::string_view type, std::string_view message, std::string& out) override {
    append_sse(out, {}, json::serialize(openai_error_body(message, type)));
  }

  // The cached text chunk names the id and the model.
  void identity_changed() override { text_prefix_.clear(); }

  json::object chunk(json::object delta, json::value finish_reason) const {
    json::object choice{{"index", 0},
                        {"delta", std::move(delta)},
                        {"logprobs", nullptr},
                        {"finish_reason", std::move(finish_reason)}};
    return {{"id", id_},
            {"object", "chat.completion.chunk"},
            {"created", ctx_.created},
            {"model", model_},
            {"choices", json::array{std::move(choice)}}};
  }

  void write(std::string& out, const json::object& c) { append_sse(out, {}, json::serialize(c)); }

  // The first chunk carries the role, as OpenAI's does (clients key the message on it).
  void ensure_started(std::string& out) override {
    if (started_) return;
    started_ = true;
    write(out, chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
  }

  // The most frequent chunk, written without building it as a JSON object: the same bytes as
  // write(out, chunk({{"content", text}}, nullptr)).
  void text_delta(std::string_view text, std::string& out) {
    ensure_started(out);
    if (text_prefix_.empty()) {
      const std::string whole = json::serialize(chunk({{"content", ""}}, nullptr));
      const std::string_view marker = R"("content":"")";
      const auto at = whole.find(marker);
      text_prefix_ = whole.substr(0, at + marker.size() - 2);
      text_suffix_ = whole.substr(at + marker.size());
    }
    out.append("data: ");
    out.append(text_prefix_);
    append_json_string(out, text);
    out.append(text_suffix_);
    out.append("\n\n");
  }

  void delta(std::string& out, json::object d) {
    ensure_started(out);
    write(out, chunk(std::move(d), nullptr));
  }

  void finish_chunk(std::string_view reason, std::string& out) {
    if (finished_) return;
    ensure_started(out);
    finished_ = true;
    write(out, chunk({}, json::string(reason)));
  }

  void close(std::string& out) {
    finish_chunk(has_tools_ ? "tool_calls" : "stop", out);
    if (ctx_.include_usage) {
      json::object c{{"id", id_},
                     {"object", "chat.completion.chunk"},
                     {"created", ctx_.created},
                     {"model", model_},
                     {"choices", json::array{}},
                     {"usage", write_chat_usage(usage_)}};
      write(out, c);
    }
    append_sse(out, {}, "[DONE]");
    closed_ = true;
  }

  bool started_ = false;
  bool finished_ = false;
  bool has_tools_ = false;
  std::string text_prefix_;  // a text chunk up to the content's value, once id and model are known
  std::string text_suffix_;  // and after it
};

}  // namespace

std::unique_ptr<StreamDecoder> make_chat_decoder() { return std::make_unique<ChatDecoder>(); }

std::unique_ptr<StreamEncoder> make_chat_encoder(const RequestContext& ctx) {
  return std::make_unique<ChatEncoder>(ctx);
}

}  // namespace aigw::translate::detail
