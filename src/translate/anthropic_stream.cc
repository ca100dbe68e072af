// Anthropic Messages streams: events from Anthropic providers into neutral events, and neutral
// events into the exact sequence Anthropic SDKs and Claude Code expect (message_start with
// usage once, one content block at a time, thinking only inside thinking blocks).
#include <map>

#include "translate/dialects.h"
#include "translate/error_body.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

class AnthropicDecoder final : public StreamDecoder {
 public:
  void decode(const SseEvent& ev, std::vector<ir::StreamEvent>& out) override {
    // Parsed into a stack buffer (events are small; a larger one spills to the heap): what the
    // neutral events keep is copied out of it.
    unsigned char buffer[4096];
    json::monotonic_resource memory(buffer, sizeof buffer);
    boost::system::error_code ec;
    const json::value v = json::parse(ev.data, ec, &memory);
    if (ec || !v.is_object()) return;
    const auto& o = v.as_object();
    const auto type = str(o, "type", ev.event);
    if (type == "message_start") return on_message_start(o, out);
    if (type == "content_block_start") return on_block_start(o, out);
    if (type == "content_block_delta") return on_block_delta(o, out);
    if (type == "message_delta") return on_message_delta(o, out);
    if (type == "message_stop") return out.push_back(ir::StreamEvent::of(ir::EventKind::kDone));
    if (type == "error") {
      const auto* err = obj(o, "error");
      out.push_back(ir::StreamEvent::of(ir::EventKind::kError)
                        .with_text(std::string(err ? str(*err, "message", "provider error")
                                                   : "provider error"))
                        .with_id(std::string(err ? str(*err, "type", "api_error") : "api_error")));
    }
    // ping and content_block_stop need no neutral event: writers close a block when the next
    // one starts or the message ends.
  }

 private:
  // message_delta repeats only the counters it updates; the rest keep their earlier values.
  void merge_usage(const json::object& u) {
    for (const char* key : {"input_tokens", "cache_read_input_tokens",
                            "cache_creation_input_tokens", "output_tokens"}) {
      if (const auto n = opt_int(u, key)) raw_[key] = *n;
    }
    json::object merged;
    for (const auto& [k, n] : raw_) merged[k] = n;
    usage_ = read_anthropic_usage(merged);
  }

  void on_message_start(const json::object& o, std::vector<ir::StreamEvent>& out) {
    const auto* m = obj(o, "message");
    if (!m) return;
    if (const auto* u = obj(*m, "usage")) merge_usage(*u);
    out.push_back(ir::StreamEvent::of(ir::EventKind::kStart)
                      .with_id(str(*m, "id"))
                      .with_model(str(*m, "model"))
                      .with_usage(usage_));
  }

  void on_block_start(const json::object& o, std::vector<ir::StreamEvent>& out) {
    const int index = static_cast<int>(int_or(o, "index"));
    const auto* b = obj(o, "content_block");
    if (!b) return;
    const auto type = str(*b, "type");
    if (type == "text") {
      if (const auto t = str(*b, "text"); !t.empty()) {
        out.push_back(ir::StreamEvent::of(ir::EventKind::kText).with_part(index).with_text(t));
      }
    } else if (type == "thinking") {
      if (const auto t = str(*b, "thinking"); !t.empty()) {
        out.push_back(ir::StreamEvent::of(ir::EventKind::kThinking).with_part(index).with_text(t));
      }
    } else if (type == "redacted_thinking") {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kRedactedThinking)
                        .with_part(index)
                        .with_text(str(*b, "data")));
    } else if (type == "tool_use") {
      const int tool_index = static_cast<int>(tools_.size());
      tools_[index] = tool_index;
      out.push_back(ir::StreamEvent::of(ir::EventKind::kToolStart)
                        .with_part(index)
                        .with_tool_index(tool_index)
                        .with_id(str(*b, "id"))
                        .with_name(str(*b, "name")));
      // Some servers put the whole input in the start block instead of streaming it.
      if (const auto* input = obj(*b, "input"); input && !input->empty()) {
        out.push_back(ir::StreamEvent::of(ir::EventKind::kToolArgs)
                          .with_part(index)
                          .with_tool_index(tool_index)
                          .with_text(json::serialize(*input)));
      }
    }
  }

  void on_block_delta(const json::object& o, std::vector<ir::StreamEvent>& out) {
    const int index = static_cast<int>(int_or(o, "index"));
    const auto* d = obj(o, "delta");
    if (!d) return;
    const auto type = str(*d, "type");
    if (type == "text_delta") {
      out.push_back(
          ir::StreamEvent::of(ir::EventKind::kText).with_part(index).with_text(str(*d, "text")));
    } else if (type == "thinking_delta") {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kThinking)
                        .with_part(index)
                        .with_text(str(*d, "thinking")));
    } else if (type == "signature_delta") {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kSignature)
                        .with_part(index)
                        .with_text(str(*d, "signature")));
    } else if (type == "input_json_delta") {
      const auto it = tools_.find(index);
      const auto piece = str(*d, "partial_json");
      if (it == tools_.end() || piece.empty()) return;
      out.push_back(ir::StreamEvent::of(ir::EventKind::kToolArgs)
                        .with_part(index)
                        .with_tool_index(it->second)
                        .with_text(piece));
    }
  }

  void on_message_delta(const json::object& o, std::vector<ir::StreamEvent>& out) {
    if (const auto* u = obj(o, "usage")) {
      merge_usage(*u);
      out.push_back(ir::StreamEvent::of(ir::EventKind::kUsage).with_usage(usage_));
    }
    const auto* d = obj(o, "delta");
    if (!d || str(*d, "stop_reason").empty()) return;
    out.push_back(ir::StreamEvent::of(ir::EventKind::kFinish)
                      .with_stop(read_anthropic_stop_reason(str(*d, "stop_reason")))
                      .with_stop_sequence(str(*d, "stop_sequence")));
  }

  std::map<std::string, std::int64_t> raw_;
  ir::TokenUsage usage_;
  std::map<int, int> tools_;  // block index -> tool call position
};

class AnthropicEncoder final : public EncoderSkeleton {
 public:
  explicit AnthropicEncoder(const RequestContext& ctx) : EncoderSkeleton(ctx, ctx.request_id) {}

 private:
  void on_event(const ir::StreamEvent& ev, std::string& out) override {
    switch (ev.kind) {
      case ir::EventKind::kText:
        return delta(ev, {{"type", "text_delta"}, {"text", ev.text}}, out);
      case ir::EventKind::kThinking:
        return delta(ev, {{"type", "thinking_delta"}, {"thinking", ev.text}}, out);
      case ir::EventKind::kSignature:
        return delta(ev, {{"type", "signature_delta"}, {"signature", ev.text}}, out);
      case ir::EventKind::kRedactedThinking:
      case ir::EventKind::kToolStart:
        return void(block_index(ev, out));
      case ir::EventKind::kToolArgs:
        return delta(ev, {{"type", "input_json_delta"}, {"partial_json", ev.text}}, out);
      case ir::EventKind::kFinish:
        stop_ = ev.stop;
        stop_sequence_ = ev.stop_sequence;
        finished_ = true;
        return close_block(out);
      case ir::EventKind::kDone:
        return close(out);
      case ir::EventKind::kStart:
      case ir::EventKind::kUsage:
      case ir::EventKind::kError:
        return;  // the skeleton's
    }
  }

  void write_error(std::string_view type, std::string_view message, std::string& out) override {
    append_sse(out, "error", json::serialize(anthropic_error_body(type, message)));
  }

 private:
  void write(std::string& out, std::string_view type, const json::object& data) {
    append_sse(out, type, json::serialize(data));
  }

  // message_start goes out exactly once and always carries usage: the provider's input count
  // when it reported one, otherwise the gateway's estimate (message_delta brings the real one).
  void ensure_started(std::string& out) override {
    if (started_) return;
    started_ = true;
    ir::TokenUsage u = usage_;
    if (!u.known) u.input = ctx_.estimated_input_tokens;
    json::object usage = write_anthropic_usage(u);
    json::object message{{"id", id_},
                         {"type", "message"},
                         {"role", "assistant"},
                         {"model", model_},
                         {"content", json::array{}},
                         {"stop_reason", nullptr},
                         {"stop_sequence", nullptr},
                         {"usage", std::move(usage)}};
    write(out, "message_start", {{"type", "message_start"}, {"message", std::move(message)}});
  }

  static json::object empty_block(const ir::StreamEvent& ev) {
    switch (ev.kind) {
      case ir::EventKind::kThinking:
      case ir::EventKind::kSignature:
        return {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}};
      case ir::EventKind::kRedactedThinking:
        return {{"type", "redacted_thinking"}, {"data", ev.text}};
      case ir::EventKind::kToolStart:
      case ir::EventKind::kToolArgs:
        return {{"type", "tool_use"}, {"id", ev.id}, {"name", ev.name}, {"input", json::object{}}};
      default:
        break;
    }
    return {{"type", "text"}, {"text", ""}};
  }

  void close_block(std::string& out) {
    if (open_part_ < 0) return;
    write(out, "content_block_stop", {{"type", "content_block_stop"}, {"index", open_index_}});
    open_part_ = -1;
  }

  // Blocks are keyed by upstream part and kind, so a delta of another kind can never land in
  // a block of the wrong type (thinking text in a text block breaks Claude Code).
  static int block_key(const ir::StreamEvent& ev) {
    int kind = 0;
    switch (ev.kind) {
      case ir::EventKind::kThinking:
      case ir::EventKind::kSignature:
        kind = 1;
        break;
      case ir::EventKind::kToolStart:
      case ir::EventKind::kToolArgs:
        kind = 2;
        break;
      case ir::EventKind::kRedactedThinking:
        kind = 3;
        break;
      default:
        break;
    }
    return ev.part * 4 + kind;
  }

  // The block for the event's upstream part: the open one, one seen before (a late delta keeps
  // its index, which SDKs accumulate by), or a new one opened after closing the current.
  int block_index(const ir::StreamEvent& ev, std::string& out) {
    ensure_started(out);
    const int key = block_key(ev);
    if (key == open_part_) return open_index_;
    if (const auto it = blocks_.find(key); it != blocks_.end()) return it->second;
    close_block(out);
    open_part_ = key;
    open_index_ = next_index_++;
    blocks_[key] = open_index_;
    if (ev.kind == ir::EventKind::kToolStart) has_tools_ = true;
    write(out, "content_block_start",
          {{"type", "content_block_start"},
           {"index", open_index_},
           {"content_block", empty_block(ev)}});
    return open_index_;
  }

  void delta(const ir::StreamEvent& ev, json::object d, std::string& out) {
    if (ev.text.empty()) return;
    const int index = block_index(ev, out);
    write(out, "content_block_delta",
          {{"type", "content_block_delta"}, {"index", index}, {"delta", std::move(d)}});
  }

  void close(std::string& out) {
    ensure_started(out);
    close_block(out);
    if (!finished_ && has_tools_) stop_ = ir::StopReason::kToolUse;
    json::object d{{"stop_reason", anthropic_stop_reason(stop_)},
                   {"stop_sequence",
                    stop_sequence_.empty() ? json::value(nullptr) : json::value(stop_sequence_)}};
    // Without a provider count only output_tokens is sent, so the estimate in message_start
    // is not overwritten with zero (SDKs overwrite input counters that message_delta carries).
    json::object usage = usage_.known ? write_anthropic_usage(usage_)
                                      : json::object{{"output_tokens", usage_.output}};
    write(out, "message_delta",
          {{"type", "message_delta"}, {"delta", std::move(d)}, {"usage", std::move(usage)}});
    write(out, "message_stop", {{"type", "message_stop"}});
    closed_ = true;
  }

  ir::StopReason stop_ = ir::StopReason::kEndTurn;
  std::string stop_sequence_;
  std::map<int, int> blocks_;  // block_key -> block index
  int open_part_ = -1;
  int open_index_ = 0;
  int next_index_ = 0;
  bool started_ = false;
  bool finished_ = false;
  bool has_tools_ = false;
};

}  // namespace

std::unique_ptr<StreamDecoder> make_anthropic_decoder() {
  return std::make_unique<AnthropicDecoder>();
}

std::unique_ptr<StreamEncoder> make_anthropic_encoder(const RequestContext& ctx) {
  return std::make_unique<AnthropicEncoder>(ctx);
}

}  // namespace aigw::translate::detail
