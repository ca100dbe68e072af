// The public converters: each pairs the caller's reader/writer with the provider's through the
// neutral form, so every (caller, provider) cell is one reader plus one writer.
#include "translate/translate.h"

#include "core/text.h"
#include "translate/dialects.h"
#include "translate/json_util.h"
#include "translate/neutral.h"

namespace aigw::translate {
namespace {

using namespace detail;

bool is_caller(Dialect d) { return d != Dialect::kGoogleGemini; }
bool is_provider(Dialect d) { return d != Dialect::kOpenAiResponses; }

ApiError unsupported(Dialect from, Dialect to) {
  return ApiError{400,
                  "invalid_request_error",
                  "cannot translate " + std::string(dialect_name(from)) + " requests to the " +
                      std::string(dialect_name(to)) + " API",
                  {},
                  {},
                  {}};
}

Result<ir::Request> read_request(Dialect d, const json::object& body) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return read_chat_request(body);
    case Dialect::kAnthropicMessages:
      return read_anthropic_request(body);
    case Dialect::kOpenAiResponses:
      return read_responses_request(body);
    case Dialect::kGoogleGemini:
      break;
  }
  return unsupported(d, d);
}

json::object write_request(Dialect d, const ir::Request& req) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return write_chat_request(req);
    case Dialect::kAnthropicMessages:
      return write_anthropic_request(req);
    case Dialect::kGoogleGemini:
      return write_gemini_request(req);
    case Dialect::kOpenAiResponses:
      break;
  }
  return {};
}

Result<ir::Response> read_response(Dialect d, const json::object& body) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return read_chat_response(body);
    case Dialect::kAnthropicMessages:
      return read_anthropic_response(body);
    case Dialect::kGoogleGemini:
      return read_gemini_response(body);
    case Dialect::kOpenAiResponses:
      break;
  }
  return unsupported(d, d);
}

json::object write_response(Dialect d, const ir::Response& r, const RequestContext& ctx) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return write_chat_response(r, ctx);
    case Dialect::kAnthropicMessages:
      return write_anthropic_response(r, ctx);
    case Dialect::kOpenAiResponses:
      return write_responses_response(r, ctx);
    case Dialect::kGoogleGemini:
      break;
  }
  return {};
}

std::unique_ptr<StreamDecoder> make_decoder(Dialect d) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return make_chat_decoder();
    case Dialect::kAnthropicMessages:
      return make_anthropic_decoder();
    case Dialect::kGoogleGemini:
      return make_gemini_decoder();
    case Dialect::kOpenAiResponses:
      break;
  }
  return nullptr;
}

std::unique_ptr<StreamEncoder> make_encoder(Dialect d, const RequestContext& ctx) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return make_chat_encoder(ctx);
    case Dialect::kAnthropicMessages:
      return make_anthropic_encoder(ctx);
    case Dialect::kOpenAiResponses:
      return make_responses_encoder(ctx);
    case Dialect::kGoogleGemini:
      break;
  }
  return nullptr;
}

// Provider SSE -> events -> neutral events -> caller SSE, one upstream chunk at a time.
class TranslatingStream final : public StreamConverter, private SseSink {
 public:
  TranslatingStream(Dialect provider, std::unique_ptr<StreamDecoder> decoder,
                    std::unique_ptr<StreamEncoder> encoder, std::int64_t prompt_estimate)
      : provider_(provider),
        decoder_(std::move(decoder)),
        encoder_(std::move(encoder)),
        prompt_estimate_(prompt_estimate) {}

  void feed(std::string_view bytes, std::string& out) override {
    out_ = &out;
    parser_.feed(bytes, *this);
  }

  void finish(std::string& out) override {
    out_ = &out;
    parser_.finish(*this);
    encoder_->encode(ir::StreamEvent::of(ir::EventKind::kDone), out);
  }

  bool broken() const override { return parser_.overflowed(); }

  void fail(std::string_view message, std::string& out) override {
    encoder_->fail("api_error", message, out);
  }

  const Usage& usage() const override { return usage_; }

  Usage consumed() const override {
    return charged_usage(usage_, input_reported_, output_final_, prompt_estimate_, output_bytes_);
  }

 private:
  void on_event(const SseEvent& ev) override {
    events_.clear();
    decoder_->decode(ev, events_);
    for (const auto& e : events_) {
      tally(e);
      encoder_->encode(e, *out_);
    }
  }

  // Which counts the provider gave, and the answer's bytes for what it did not. Anthropic
  // counts the input in message_start and the output in message_delta; chat reports both in
  // its last chunk; Gemini repeats running counts in every chunk, final in the finishing one.
  void tally(const ir::StreamEvent& e) {
    switch (e.kind) {
      case ir::EventKind::kText:
      case ir::EventKind::kThinking:
      case ir::EventKind::kToolArgs:
        output_bytes_ += static_cast<std::int64_t>(e.text.size());
        break;
      case ir::EventKind::kToolStart:
        output_bytes_ += static_cast<std::int64_t>(e.name.size());
        break;
      case ir::EventKind::kFinish:
        if (provider_ == Dialect::kGoogleGemini && usage_.known) output_final_ = true;
        break;
      default:
        break;
    }
    if (!e.usage.known) return;
    usage_ = ir::to_usage(e.usage);
    input_reported_ = input_reported_ || e.usage.input > 0;
    if (e.kind == ir::EventKind::kUsage && provider_ != Dialect::kGoogleGemini) {
      output_final_ = true;
      // Chat's one usage object is complete, a zero prompt included.
      input_reported_ = input_reported_ || provider_ == Dialect::kOpenAiChat;
    }
  }

  Dialect provider_;
  SseParser parser_;
  std::unique_ptr<StreamDecoder> decoder_;
  std::unique_ptr<StreamEncoder> encoder_;
  std::string* out_ = nullptr;  // where feed() and finish() write, while they run
  std::vector<ir::StreamEvent> events_;
  Usage usage_;
  std::int64_t prompt_estimate_ = 0;
  std::int64_t output_bytes_ = 0;
  bool input_reported_ = false;
  bool output_final_ = false;
};

}  // namespace

StreamConverter::~StreamConverter() = default;

void StreamConverter::feed_in_place(std::string& bytes) {
  rewritten_.clear();
  feed(bytes, rewritten_);
  bytes.swap(rewritten_);
}

std::string_view dialect_name(Dialect d) {
  switch (d) {
    case Dialect::kOpenAiChat:
      return "openai-chat";
    case Dialect::kOpenAiResponses:
      return "openai-responses";
    case Dialect::kAnthropicMessages:
      return "anthropic-messages";
    case Dialect::kGoogleGemini:
      return "google-gemini";
  }
  return "unknown";
}

bool can_translate(Dialect caller, Dialect provider) {
  return caller == provider || (is_caller(caller) && is_provider(provider));
}

RequestContext context_from_request(Dialect caller, const boost::json::object& body) {
  RequestContext ctx;
  ctx.model.assign(str(body, "model"));
  ctx.stream = bool_or(body, "stream");
  if (const auto* so = obj(body, "stream_options"))
    ctx.include_usage = bool_or(*so, "include_usage");
  ctx.estimated_input_tokens = caller == Dialect::kAnthropicMessages ? estimate_input_tokens(body)
                                                                     : estimate_prompt_tokens(body);
  ctx.max_output_tokens = max_output_tokens(body);
  return ctx;
}

Result<boost::json::object> convert_request(Dialect from, Dialect to,
                                            const boost::json::object& body) {
  if (from == to) return body;
  if (!can_translate(from, to)) return unsupported(from, to);
  auto req = read_request(from, body);
  if (!req) return req.take_error();
  return write_request(to, *req);
}

std::string provider_path(Dialect provider, std::string_view model, bool stream) {
  switch (provider) {
    case Dialect::kOpenAiChat:
      return "/chat/completions";
    case Dialect::kOpenAiResponses:
      return "/responses";
    case Dialect::kAnthropicMessages:
      return "/messages";
    case Dialect::kGoogleGemini:
      break;
  }
  // The model becomes one path segment, encoded: a caller's `/`, `?`, `#` or `..` must not reach
  // another endpoint (the id itself is checked by router/caller_values.h first). Gemini's own
  // `models/` prefix is accepted in the body and not doubled.
  if (model.starts_with("models/")) model.remove_prefix(7);
  std::string path = "/models/";
  path.append(encode_path_segment(model));
  path.append(stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
  return path;
}

Result<boost::json::object> convert_response(Dialect provider, Dialect caller,
                                             const boost::json::object& body, Usage& usage,
                                             const RequestContext& ctx) {
  if (provider == caller) {
    usage = usage_from_response(provider, body);
    return body;
  }
  if (!can_translate(caller, provider)) return unsupported(caller, provider);
  auto r = read_response(provider, body);
  if (!r) return r.take_error();
  usage = ir::to_usage(r->usage);
  return write_response(caller, *r, ctx);
}

std::string_view usage_key(Dialect dialect) {
  return dialect == Dialect::kGoogleGemini ? "usageMetadata" : "usage";
}

Usage usage_from_object(Dialect dialect, const boost::json::object& usage) {
  return ir::to_usage(read_usage(dialect, usage));
}

Usage usage_from_response(Dialect dialect, const boost::json::object& body) {
  const auto* usage = obj(body, usage_key(dialect));
  return usage ? usage_from_object(dialect, *usage) : ir::to_usage(ir::TokenUsage{});
}

std::unique_ptr<StreamConverter> make_stream_converter(Dialect provider, Dialect caller,
                                                       const RequestContext& ctx) {
  if (provider == caller) return make_usage_observer(provider, ctx);
  if (!can_translate(caller, provider)) return nullptr;
  return std::make_unique<TranslatingStream>(provider, make_decoder(provider),
                                             make_encoder(caller, ctx), ctx.estimated_input_tokens);
}

boost::json::object write_answer(Dialect dialect, const ir::Response& response,
                                 const RequestContext& ctx) {
  return write_response(dialect, response, ctx);
}

std::vector<std::string> write_stream_events(Dialect dialect,
                                             const std::vector<ir::StreamEvent>& events,
                                             const RequestContext& ctx) {
  auto encoder = make_encoder(dialect, ctx);
  if (!encoder) return {};
  std::string out;
  for (const auto& ev : events) encoder->encode(ev, out);
  std::vector<std::string> framed;
  std::size_t start = 0;
  for (std::size_t end = out.find("\n\n"); end != std::string::npos;
       end = out.find("\n\n", start)) {
    framed.push_back(out.substr(start, end + 2 - start));
    start = end + 2;
  }
  return framed;
}

}  // namespace aigw::translate
