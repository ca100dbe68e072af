// Anthropic Messages streams: events from Anthropic providers into neutral events, and neutral
// events into the exact sequence Anthropic SDKs and Claude Code expect (message_start with
// usage once, one content block at a time, thinking only inside thinking blocks).
#include <boost/json/basic_parser_impl.hpp>
#include <cstring>
#include <map>
#include <string>

#include "translate/dialects.h"
#include "translate/error_body.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

// A content_block_delta event (nearly every event of a stream) as read by a SAX pass, without
// building a tree: its type, index, and the delta's type and text fields.
struct BlockDelta {
  std::string type;  // the event's "type" (may be absent: then the SSE event name says it)
  std::int64_t index = 0;
  std::string delta_type;
  std::string text, thinking, signature, partial_json;
};

// `key` is `name`: the size first, then a compare of a length known here, which the compiler
// inlines (std::string == a literal calls memcmp, and the reader below asks for every value).
template <std::size_t N>
bool key_is(std::string_view key, const char (&name)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), name, N - 1) == 0;
}

// Boost.JSON's SAX interface over {"type":…,"index":N,"delta":{"type":…,"text":…}}: the fields
// above are kept where they are expected; anything unusual for such an event (an index that is
// not an integer, a second "delta") makes the reader give up, and the event is read as a tree.
class BlockDeltaHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using error_code = boost::system::error_code;
  using string_view = json::string_view;

  BlockDelta delta;
  bool unusual = false;

  // Before each event (the strings keep their capacity: one handler serves a whole stream).
  void start() {
    delta.type.clear();
    delta.index = 0;
    for (std::string* s :
         {&delta.delta_type, &delta.text, &delta.thinking, &delta.signature, &delta.partial_json})
      s->clear();
    unusual = in_delta_ = in_delta_seen_ = false;
    depth_ = 0;
    key_.clear();
    key_part_.clear();
    value_.clear();
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    ++depth_;
    if (depth_ == 2 && key_is(key_, "delta")) {
      unusual = unusual || in_delta_seen_;
      in_delta_ = in_delta_seen_ = true;
    }
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    if (depth_ == 2) in_delta_ = false;
    --depth_;
    return true;
  }
  bool on_array_begin(error_code&) {
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    --depth_;
    return true;
  }
  // key_ is the key of the member being read (values inside arrays are one level deeper).
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key_part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    key_.assign(key_part_);
    key_.append(s.data(), s.size());
    key_part_.clear();
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    value_.append(s.data(), s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    value_.append(s.data(), s.size());
    if (std::string* field = string_field()) field->assign(value_);
    value_.clear();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t n, string_view, error_code&) { return number(n); }
  bool on_uint64(std::uint64_t n, string_view, error_code&) {
    return number(n <= static_cast<std::uint64_t>(kMaxJsonCount) ? static_cast<std::int64_t>(n)
                                                                 : -1);
  }
  bool on_double(double, string_view, error_code&) { return number(-1); }
  bool on_bool(bool, error_code&) { return scalar(); }
  bool on_null(error_code&) { return scalar(); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  // Where a string under the current key goes, or null (a string nobody reads).
  std::string* string_field() {
    if (depth_ == 1 && key_is(key_, "type")) return &delta.type;
    if (depth_ != 2 || !in_delta_) return nullptr;
    if (key_is(key_, "type")) return &delta.delta_type;
    if (key_is(key_, "text")) return &delta.text;
    if (key_is(key_, "thinking")) return &delta.thinking;
    if (key_is(key_, "signature")) return &delta.signature;
    if (key_is(key_, "partial_json")) return &delta.partial_json;
    return nullptr;
  }
  bool number(std::int64_t n) {
    if (depth_ == 1 && key_is(key_, "index")) {
      if (n < 0) unusual = true;
      delta.index = n;
    }
    return scalar();
  }
  bool scalar() {
    // A non-string where a string is read (e.g. "text": null) is read as a tree instead.
    if (string_field() != nullptr) unusual = true;
    return true;
  }

  int depth_ = 0;
  bool in_delta_ = false;
  bool in_delta_seen_ = false;
  std::string key_;
  std::string key_part_;  // a key that arrives in parts
  std::string value_;
};

class AnthropicDecoder final : public StreamDecoder {
 public:
  void decode(const SseEvent& ev, std::vector<ir::StreamEvent>& out) override {
    if (key_is(ev.event, "content_block_delta") || ev.event.empty()) {
      // The usual event, read without a tree; the type in the data decides, as below.
      if (const BlockDelta* d = read_block_delta(ev.data);
          d && key_is(d->type.empty() ? ev.event : d->type, "content_block_delta")) {
        return on_block_delta(*d, out);
      }
    }
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

  // A tree read the same way as the SAX pass reads the usual event.
  void on_block_delta(const json::object& o, std::vector<ir::StreamEvent>& out) {
    const auto* d = obj(o, "delta");
    if (!d) return;
    BlockDelta delta;
    delta.index = int_or(o, "index");
    delta.delta_type = str(*d, "type");
    delta.text = str(*d, "text");
    delta.thinking = str(*d, "thinking");
    delta.signature = str(*d, "signature");
    delta.partial_json = str(*d, "partial_json");
    on_block_delta(delta, out);
  }

  void on_block_delta(const BlockDelta& d, std::vector<ir::StreamEvent>& out) {
    const int index = static_cast<int>(d.index);
    const std::string_view type = d.delta_type;
    if (key_is(type, "text_delta")) {
      out.push_back(ir::StreamEvent::of(ir::EventKind::kText).with_part(index).with_text(d.text));
    } else if (key_is(type, "thinking_delta")) {
      out.push_back(
          ir::StreamEvent::of(ir::EventKind::kThinking).with_part(index).with_text(d.thinking));
    } else if (key_is(type, "signature_delta")) {
      out.push_back(
          ir::StreamEvent::of(ir::EventKind::kSignature).with_part(index).with_text(d.signature));
    } else if (key_is(type, "input_json_delta")) {
      const auto it = tools_.find(index);
      if (it == tools_.end() || d.partial_json.empty()) return;
      out.push_back(ir::StreamEvent::of(ir::EventKind::kToolArgs)
                        .with_part(index)
                        .with_tool_index(it->second)
                        .with_text(d.partial_json));
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

  // The content_block_delta in `data`, read by the stream's one SAX parser (reset for each
  // event); null when it is not valid JSON or unusual for the event (then read as a tree).
  const BlockDelta* read_block_delta(std::string_view data) {
    delta_parser_.reset();
    delta_parser_.handler().start();
    boost::system::error_code ec;
    delta_parser_.write_some(false, data.data(), data.size(), ec);
    if (ec || delta_parser_.handler().unusual) return nullptr;
    return &delta_parser_.handler().delta;
  }

  json::basic_parser<BlockDeltaHandler> delta_parser_{json::parse_options{}};
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
