// Passthrough streams: the bytes go to the client untouched while the usage counters are read
// from the events that carry them (only those are parsed, each once, into a stack buffer), and
// the answer's text is measured, in the same read of each event, for the estimate charged when
// the provider's final counts do not come.
#include <string>

#include "translate/dialects.h"
#include "translate/error_body.h"
#include "translate/json_util.h"
#include "translate/output_meter.h"

namespace aigw::translate {
namespace {

using namespace detail;

class UsageObserver final : public StreamConverter, private SseSink {
 public:
  UsageObserver(Dialect dialect, bool strip_usage_chunk, std::int64_t prompt_estimate)
      : dialect_(dialect),
        strip_usage_chunk_(strip_usage_chunk),
        prompt_estimate_(prompt_estimate),
        meter_(text_keys(), "usage") {}

  void feed(std::string_view bytes, std::string& out) override {
    if (!strip_usage_chunk_) out.append(bytes);
    out_ = &out;
    parser_.feed(bytes, *this);
  }

  void feed_in_place(std::string& bytes) override {
    if (strip_usage_chunk_) return StreamConverter::feed_in_place(bytes);  // events re-framed
    out_ = nullptr;  // written only when stripping
    parser_.feed(bytes, *this);
  }

  void finish(std::string& out) override {
    out_ = &out;
    parser_.finish(*this);
  }

  void fail(std::string_view message, std::string& out) override {
    if (failed_) return;
    failed_ = true;
    if (dialect_ == Dialect::kAnthropicMessages) {
      return append_sse(out, "error", json::serialize(anthropic_error_body("api_error", message)));
    }
    if (dialect_ == Dialect::kOpenAiResponses) {
      json::object err{
          {"type", "error"}, {"code", "api_error"}, {"message", message}, {"param", nullptr}};
      return append_sse(out, "error", json::serialize(err));
    }
    append_sse(out, {}, json::serialize(openai_error_body(message, "api_error")));
  }

  const Usage& usage() const override { return usage_; }

  Usage consumed() const override {
    return charged_usage(usage_, input_reported_, output_final_, prompt_estimate_, output_bytes_);
  }

 private:
  // Stripping re-frames every event but the usage-only chunk the gateway asked for.
  void on_event(const SseEvent& ev) override {
    bool usage_only = false;
    if (dialect_ == Dialect::kGoogleGemini) {
      usage_only = read_with_tree(ev, true);
    } else if (holds_usage(ev)) {
      // Only an event with a real usage object (once or twice a stream) is parsed into a tree.
      usage_only = read_with_tree(ev, false);
    }
    if (strip_usage_chunk_ && !usage_only) append_sse(*out_, ev.event, ev.data);
  }

  // Whether `ev` holds a "usage" object. Until the provider's final count has come, the text of
  // an event that may carry some is measured in the same read (one scan, nothing copied), so
  // the estimate is ready should the stream break off.
  bool holds_usage(const SseEvent& ev) {
    if (!output_final_ && carries_output(ev)) {
      const auto m = meter_.measure(ev.data);
      if (m) output_bytes_ += m->text_bytes;
      return m && m->has_object;
    }
    return ev.data.find("usage") != std::string::npos && has_object_under(ev.data, "usage");
  }

  // Parses an event into a tree: its usage, and (`measure`) its text. Returns whether it is
  // the usage-only chunk the gateway asked for (then not passed back).
  bool read_with_tree(const SseEvent& ev, bool measure) {
    const bool has_usage = ev.data.find("sage") != std::string::npos;
    if (!has_usage && !(measure && carries_output(ev))) return false;
    unsigned char buffer[4096];
    json::monotonic_resource memory(buffer, sizeof buffer);
    boost::system::error_code ec;
    const json::value v = json::parse(ev.data, ec, &memory);
    if (ec || !v.is_object()) return false;
    const auto& o = v.get_object();
    if (measure) measure_output(ev, o);
    if (has_usage) on_usage_event(o);
    return has_usage && strip_usage_chunk_ && is_usage_only_chunk(o);
  }

  // Events that may carry answer text: every chat and Gemini chunk; Anthropic's content
  // blocks; Responses' *.delta events (their *.done and response.completed repeat the text).
  bool carries_output(const SseEvent& ev) const {
    switch (dialect_) {
      case Dialect::kOpenAiChat:
        return ev.data != "[DONE]";
      case Dialect::kGoogleGemini:
        return true;
      case Dialect::kAnthropicMessages:
        return ev.event.empty() ? ev.data.find("\"content_block_") != std::string::npos
                                : ev.event.starts_with("content_block_");
      case Dialect::kOpenAiResponses:
        return ev.event.empty() ? ev.data.find(".delta\"") != std::string::npos
                                : ev.event.ends_with(".delta");
    }
    return false;
  }

  // The keys whose strings are answer text, per dialect (Gemini is measured on the tree).
  std::span<const std::string_view> text_keys() const {
    static constexpr std::string_view kChat[] = {
        "content", "reasoning_content", "reasoning", "refusal", "name", "arguments"};
    static constexpr std::string_view kAnthropic[] = {"text", "thinking", "partial_json", "name"};
    static constexpr std::string_view kResponses[] = {"delta"};
    switch (dialect_) {
      case Dialect::kOpenAiChat:
        return kChat;
      case Dialect::kAnthropicMessages:
        return kAnthropic;
      case Dialect::kOpenAiResponses:
        return kResponses;
      case Dialect::kGoogleGemini:
        break;
    }
    return {};
  }

  void add_bytes(std::string_view s) { output_bytes_ += static_cast<std::int64_t>(s.size()); }

  void measure_output(const SseEvent& ev, const json::object& o) {
    switch (dialect_) {
      case Dialect::kOpenAiChat: {
        const auto* choices = arr(o, "choices");
        if (!choices) return;
        for (const auto& c : *choices) {
          const auto* delta = c.is_object() ? obj(c.get_object(), "delta") : nullptr;
          if (!delta) continue;
          for (const char* key : {"content", "reasoning_content", "reasoning", "refusal"}) {
            add_bytes(str(*delta, key));
          }
          const auto* calls = arr(*delta, "tool_calls");
          if (!calls) continue;
          for (const auto& call : *calls) {
            const auto* fn = call.is_object() ? obj(call.get_object(), "function") : nullptr;
            if (!fn) continue;
            add_bytes(str(*fn, "name"));
            add_bytes(str(*fn, "arguments"));
          }
        }
        return;
      }
      case Dialect::kGoogleGemini: {
        const auto* candidates = arr(o, "candidates");
        if (!candidates || candidates->empty() || !candidates->front().is_object()) return;
        const auto* content = obj(candidates->front().get_object(), "content");
        const auto* parts = content ? arr(*content, "parts") : nullptr;
        if (!parts) return;
        for (const auto& p : *parts) {
          if (!p.is_object()) continue;
          add_bytes(str(p.get_object(), "text"));
          if (const auto* call = obj(p.get_object(), "functionCall")) {
            add_bytes(str(*call, "name"));
            if (const auto* args = field(*call, "args")) {
              output_bytes_ += static_cast<std::int64_t>(json::serialize(*args).size());
            }
          }
        }
        return;
      }
      case Dialect::kAnthropicMessages: {
        if (const auto* d = obj(o, "delta")) {
          for (const char* key : {"text", "thinking", "partial_json"}) add_bytes(str(*d, key));
        }
        if (const auto* b = obj(o, "content_block")) {
          for (const char* key : {"text", "thinking", "name"}) add_bytes(str(*b, key));
        }
        return;
      }
      case Dialect::kOpenAiResponses:
        if (ev.event.empty() || ev.event.ends_with(".delta")) add_bytes(str(o, "delta"));
        return;
    }
  }

  // A chat chunk with usage and no choices: the one `include_usage` adds at the end.
  static bool is_usage_only_chunk(const json::object& o) {
    if (!obj(o, "usage")) return false;
    const auto* choices = o.if_contains("choices");
    return !choices || (choices->is_array() && choices->as_array().empty());
  }

  // Chat and Responses report once, complete, at the end; Gemini repeats running counts,
  // final in the chunk that finishes; Anthropic merges (below).
  void on_usage_event(const json::object& o) {
    switch (dialect_) {
      case Dialect::kOpenAiChat:
        if (const auto* u = obj(o, "usage")) {
          usage_ = ir::to_usage(read_chat_usage(*u));
          input_reported_ = output_final_ = true;
        }
        break;
      case Dialect::kGoogleGemini:
        if (const auto* u = obj(o, "usageMetadata")) {
          usage_ = ir::to_usage(read_gemini_usage(*u));
          input_reported_ = input_reported_ || usage_.input_tokens > 0;
          output_final_ = output_final_ || finishes(o);
        }
        break;
      case Dialect::kOpenAiResponses:
        if (const auto* r = obj(o, "response")) {
          // response.created carries "usage": null; only a real count replaces ours.
          if (const Usage u = usage_from_response(dialect_, *r); u.known) {
            usage_ = u;
            input_reported_ = output_final_ = true;
          }
        }
        break;
      case Dialect::kAnthropicMessages:
        merge_anthropic(o);
        break;
    }
  }

  static bool finishes(const json::object& gemini_chunk) {
    const auto* candidates = arr(gemini_chunk, "candidates");
    if (!candidates || candidates->empty() || !candidates->front().is_object()) return false;
    return !str(candidates->front().get_object(), "finishReason").empty();
  }

  // Input arrives in message_start, output in message_delta: later counters overwrite.
  void merge_anthropic(const json::object& o) {
    const json::object* u = obj(o, "usage");
    const bool start = obj(o, "message") != nullptr;  // message_start; message_delta at the end
    if (const auto* m = obj(o, "message")) u = obj(*m, "usage");
    if (!u) return;
    if (start) input_reported_ = input_reported_ || u->contains("input_tokens");
    if (!start) output_final_ = output_final_ || u->contains("output_tokens");
    for (const char* key : {"input_tokens", "cache_read_input_tokens",
                            "cache_creation_input_tokens", "output_tokens"}) {
      if (const auto n = opt_int(*u, key)) anthropic_[key] = *n;
    }
    usage_ = ir::to_usage(read_anthropic_usage(anthropic_));
  }

  Dialect dialect_;
  bool strip_usage_chunk_;
  std::int64_t prompt_estimate_;
  EventMeter meter_;  // the text keys of dialect_, and "usage"
  SseParser parser_;
  std::string* out_ = nullptr;  // where feed() and finish() write, while they run
  json::object anthropic_;
  Usage usage_;
  std::int64_t output_bytes_ = 0;  // the answer's text so far, for the estimate
  bool input_reported_ = false;
  bool output_final_ = false;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<StreamConverter> make_usage_observer(Dialect dialect, const RequestContext& ctx) {
  return std::make_unique<UsageObserver>(dialect, false, ctx.estimated_input_tokens);
}

std::unique_ptr<StreamConverter> make_chat_usage_stripper(const RequestContext& ctx) {
  return std::make_unique<UsageObserver>(Dialect::kOpenAiChat, true, ctx.estimated_input_tokens);
}

}  // namespace aigw::translate
