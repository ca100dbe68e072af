// Passthrough streams: the bytes go to the client untouched while the usage counters are read
// from the events that carry them (only those are parsed).
#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate {
namespace {

using namespace detail;

class UsageObserver final : public StreamConverter {
 public:
  UsageObserver(Dialect dialect, bool strip_usage_chunk)
      : dialect_(dialect), strip_usage_chunk_(strip_usage_chunk) {}

  void feed(std::string_view bytes, std::string& out) override {
    if (!strip_usage_chunk_) out.append(bytes);
    parser_.feed(bytes, events_);
    drain(out);
  }

  void finish(std::string& out) override {
    parser_.finish(events_);
    drain(out);
  }

  void fail(std::string_view message, std::string& out) override {
    if (failed_) return;
    failed_ = true;
    if (dialect_ == Dialect::kAnthropicMessages) {
      json::object err{{"type", "error"}, {"error", {{"type", "api_error"}, {"message", message}}}};
      return append_sse(out, "error", json::serialize(err));
    }
    if (dialect_ == Dialect::kOpenAiResponses) {
      json::object err{
          {"type", "error"}, {"code", "api_error"}, {"message", message}, {"param", nullptr}};
      return append_sse(out, "error", json::serialize(err));
    }
    json::object err{
        {"message", message}, {"type", "api_error"}, {"param", nullptr}, {"code", nullptr}};
    append_sse(out, {}, json::serialize(json::object{{"error", std::move(err)}}));
  }

  const Usage& usage() const override { return usage_; }

 private:
  // Stripping re-frames every event but the usage-only chunk the gateway asked for.
  void drain(std::string& out) {
    for (const auto& ev : events_) {
      const bool has_usage = ev.data.find("sage") != std::string::npos;
      if (has_usage) on_usage_event(ev.data);
      if (strip_usage_chunk_ && !(has_usage && is_usage_only_chunk(ev.data))) {
        append_sse(out, ev.event, ev.data);
      }
    }
    events_.clear();
  }

  // A chat chunk with usage and no choices: the one `include_usage` adds at the end.
  static bool is_usage_only_chunk(std::string_view data) {
    const json::value v = parse_or_null(data);
    const auto* o = v.if_object();
    if (!o || !obj(*o, "usage")) return false;
    const auto* choices = o->if_contains("choices");
    return !choices || (choices->is_array() && choices->as_array().empty());
  }

  void on_usage_event(std::string_view data) {
    const json::value v = parse_or_null(data);
    if (!v.is_object()) return;
    const auto& o = v.as_object();
    switch (dialect_) {
      case Dialect::kOpenAiChat:
        if (const auto* u = obj(o, "usage")) usage_ = ir::to_usage(read_chat_usage(*u));
        break;
      case Dialect::kGoogleGemini:
        if (const auto* u = obj(o, "usageMetadata")) usage_ = ir::to_usage(read_gemini_usage(*u));
        break;
      case Dialect::kOpenAiResponses:
        if (const auto* r = obj(o, "response")) {
          // response.created carries "usage": null; only a real count replaces ours.
          if (const Usage u = usage_from_response(dialect_, *r); u.known) usage_ = u;
        }
        break;
      case Dialect::kAnthropicMessages:
        merge_anthropic(o);
        break;
    }
  }

  // Input arrives in message_start, output in message_delta: later counters overwrite.
  void merge_anthropic(const json::object& o) {
    const json::object* u = obj(o, "usage");
    if (const auto* m = obj(o, "message")) u = obj(*m, "usage");
    if (!u) return;
    for (const char* key : {"input_tokens", "cache_read_input_tokens",
                            "cache_creation_input_tokens", "output_tokens"}) {
      if (const auto n = opt_int(*u, key)) anthropic_[key] = *n;
    }
    usage_ = ir::to_usage(read_anthropic_usage(anthropic_));
  }

  Dialect dialect_;
  bool strip_usage_chunk_;
  SseParser parser_;
  std::vector<SseEvent> events_;
  json::object anthropic_;
  Usage usage_;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<StreamConverter> make_usage_observer(Dialect dialect) {
  return std::make_unique<UsageObserver>(dialect, false);
}

std::unique_ptr<StreamConverter> make_chat_usage_stripper() {
  return std::make_unique<UsageObserver>(Dialect::kOpenAiChat, true);
}

}  // namespace aigw::translate
