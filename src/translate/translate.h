// Dialect translation between callers and providers: requests, whole answers, SSE streams,
// errors and usage. Pure functions over JSON and bytes (no I/O); see docs/translation.md.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/api_error.h"
#include "core/result.h"
#include "core/usage.h"

namespace aigw::translate {

enum class Dialect { kOpenAiChat, kOpenAiResponses, kAnthropicMessages, kGoogleGemini };

std::string_view dialect_name(Dialect d);

// True when a caller of `caller` can be served by a provider of `provider` (equal dialects are
// passthrough and always supported).
bool can_translate(Dialect caller, Dialect provider);

// What a stream or answer converter needs to know about the request it answers.
struct RequestContext {
  std::string model;  // the model the caller asked for (fallback for answers)
  bool stream = false;
  bool include_usage = false;  // chat callers: stream_options.include_usage was set
  // The prompt's estimate (estimate_prompt_tokens, or estimate_input_tokens for Anthropic
  // callers): message_start when the provider reports late, reservations, broken streams.
  std::int64_t estimated_input_tokens = 0;
  std::optional<std::int64_t> max_output_tokens;  // the caller's output limit, if it set one
  std::int64_t created = 0;  // unix seconds for `created` fields (the gateway's clock)
  std::string request_id;    // id fallback when the provider gives none
};

// Reads model, stream, include_usage, the output limit and an input estimate from the caller's
// request body.
RequestContext context_from_request(Dialect caller, const boost::json::object& body);

// Converts a request body from the caller's dialect to the provider's. Equal dialects return
// the body unchanged. Errors are 400s the caller can act on (e.g. previous_response_id).
Result<boost::json::object> convert_request(Dialect from, Dialect to,
                                            const boost::json::object& body);

// The path below the provider's base URL for a converted request: "/chat/completions",
// "/messages", or for Gemini "/models/{model}:generateContent" (":streamGenerateContent?alt=sse").
std::string provider_path(Dialect provider, std::string_view model, bool stream);

// Converts a complete (non-stream) provider answer back to the caller's dialect; fills usage.
Result<boost::json::object> convert_response(Dialect provider, Dialect caller,
                                             const boost::json::object& body, Usage& usage,
                                             const RequestContext& ctx = {});

// Renders a provider error (status + raw body) in the caller's dialect. The result keeps the
// provider's status; `literal_body` holds the caller-shaped body, `type`/`message` the parts.
ApiError convert_error(Dialect provider, Dialect caller, int status, std::string_view body);

// Incremental SSE conversion: feed raw upstream bytes as they arrive (split anywhere), get the
// client's SSE bytes to send now. Never buffers a whole answer.
class StreamConverter {
 public:
  virtual ~StreamConverter();
  virtual void feed(std::string_view upstream_bytes, std::string& client_out) = 0;
  // The same, in place: `bytes` come from the provider and leave holding what goes to the
  // caller. A passthrough stream's bytes stay where they are (no copy of every chunk).
  virtual void feed_in_place(std::string& bytes);
  // The upstream ended: emits the closing events if they were not sent yet.
  virtual void finish(std::string& client_out) = 0;
  // The upstream broke: emits an error event in the caller's dialect (once).
  virtual void fail(std::string_view message, std::string& client_out) = 0;
  // Tokens the provider reported so far (input, output, cached); kept when the stream breaks.
  virtual const Usage& usage() const = 0;
  // What to charge for the stream as far as it went: the provider's counts where it reported
  // them, estimates where it did not (charged_usage) — the prompt when no input count came,
  // the output bytes seen so far when the final output count did not come (the caller left or
  // the provider broke off first). Usage::estimated_tokens says how much is estimated.
  virtual Usage consumed() const = 0;
  // True once the provider's stream cannot be followed: an event outgrew the SSE parser's
  // limit and was dropped (translated streams only; a passthrough stream's bytes went out).
  virtual bool broken() const { return false; }

 private:
  // feed_in_place's output for converters that rewrite: swapped with the caller's bytes, so
  // the buffers are reused from read to read instead of allocated for each.
  std::string rewritten_;
};

// Null when the pair cannot be translated (see can_translate).
std::unique_ptr<StreamConverter> make_stream_converter(Dialect provider, Dialect caller,
                                                       const RequestContext& ctx);

// Passthrough streams (same dialect): bytes go out unchanged, usage is read on the way.
std::unique_ptr<StreamConverter> make_usage_observer(Dialect dialect,
                                                     const RequestContext& ctx = {});
// A chat passthrough stream for which the gateway set stream_options.include_usage itself:
// usage is read from the final usage-only chunk, which is then dropped (the caller did not
// ask for it); every other event goes out as it came, re-framed as `data: …\n\n`.
std::unique_ptr<StreamConverter> make_chat_usage_stripper(const RequestContext& ctx = {});

// Usage of a whole answer in `dialect` (parsed, or as bytes: only its usage object is parsed).
// The one reader of usage: translated answers, passthrough answers and streams all use the
// dialect's readers behind these.
Usage usage_from_response(Dialect dialect, const boost::json::object& body);
// The same, given the usage object itself (the value of usage_key(dialect)).
Usage usage_from_object(Dialect dialect, const boost::json::object& usage);
std::string_view usage_key(Dialect dialect);
Usage usage_of_answer(Dialect dialect, std::string_view body);
// What a whole answer is charged: `reported` when the provider counted; else (a 200 without
// usage) the prompt estimate plus the answer's bytes as output, marked estimated.
Usage charge_for_answer(const Usage& reported, std::int64_t prompt_estimate,
                        std::size_t answer_bytes);

// An ESTIMATE of an Anthropic request's input tokens for /v1/messages/count_tokens on
// providers that cannot count: about four characters per token over system, messages and
// tools, plus a small per-message overhead and a flat cost per image. Never exact.
std::int64_t estimate_input_tokens(const boost::json::object& anthropic_request);

// Estimates where the provider gave no count yet (token_estimate.cc). The rule: about four
// bytes of text per token (rounded up), plus 3 tokens per request, 4 per message (or content
// entry), 16 per tool definition and a flat 1,600 per image, audio clip or file.
//
// The prompt of a request in any dialect: the text of its messages / input / contents,
// system prompt, instructions and tools (ids, roles and types are not counted).
std::int64_t estimate_prompt_tokens(const boost::json::object& request);
// The output limit the request sets: max_completion_tokens, max_output_tokens, max_tokens or
// generationConfig.maxOutputTokens (Gemini); nullopt when none is set (or it is not positive);
// at most 1,000,000,000 (a larger one is read as that).
std::optional<std::int64_t> max_output_tokens(const boost::json::object& request);
// Bytes of answer text (text, tool arguments, reasoning) as tokens: ceil(bytes / 4).
std::int64_t tokens_for_bytes(std::int64_t bytes);
// A stream's charge: `reported` as far as it goes; the prompt estimate replaces the input
// unless `input_reported`; unless `output_final`, the output is the larger of the reported
// count and tokens_for_bytes(output_bytes). estimated_tokens sums the replaced parts.
Usage charged_usage(const Usage& reported, bool input_reported, bool output_final,
                    std::int64_t prompt_estimate, std::int64_t output_bytes);

}  // namespace aigw::translate
