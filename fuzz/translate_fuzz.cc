// libFuzzer target: every translator, for every (from, to) pair of dialects. The first byte
// of the input chooses what is fuzzed; the rest is the body (JSON) or the provider's stream:
//   bits 0-1  first dialect (the caller for requests, the provider for answers and streams)
//   bits 2-3  second dialect
//   bits 4-5  0 request (convert_request, context_from_request, provider_path),
//             1 answer (convert_response, usage_from_response, and the body read as a usage
//             object by both usage readers), 2 stream (feed, finish),
//             3 error body (convert_error) and a stream that breaks (fail)
//   bits 6-7  how a stream is cut: whole, byte by byte, 7-byte or 64-byte chunks
// What the gateway sends a caller must be valid: a translated stream's events (other than
// OpenAI's [DONE]) must each be one JSON value, or the target aborts.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "translate/dialects.h"
#include "translate/sse_parser.h"
#include "translate/translate.h"

namespace {

namespace json = boost::json;
namespace tr = aigw::translate;

constexpr tr::Dialect kDialects[] = {tr::Dialect::kOpenAiChat, tr::Dialect::kOpenAiResponses,
                                     tr::Dialect::kAnthropicMessages, tr::Dialect::kGoogleGemini};

tr::RequestContext fixed_context(bool include_usage) {
  tr::RequestContext ctx;
  ctx.model = "fuzz-model";
  ctx.stream = true;
  ctx.include_usage = include_usage;
  ctx.estimated_input_tokens = 12;
  ctx.created = 1'800'000'000;
  ctx.request_id = "req-fuzz";
  return ctx;
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

void fuzz_request(tr::Dialect from, tr::Dialect to, std::string_view text) {
  auto body = parse_object(text);
  if (!body) return;
  const auto ctx = tr::context_from_request(from, *body);
  (void)tr::provider_path(to, ctx.model, ctx.stream);
  auto converted = tr::convert_request(from, to, *body);
  if (!converted) return;
  (void)json::serialize(*converted);
  // What was sent to the provider is read again as a request of its dialect (passthrough
  // callers of that dialect send the same shapes).
  if (to != tr::Dialect::kGoogleGemini) (void)tr::convert_request(to, from, *converted);
}

// The passthrough reader of a usage object's text must read what the tree reader reads, and
// read nothing from text a parser refuses.
void check_usage_text(tr::Dialect provider, std::string_view text) {
  const auto scanned = tr::detail::scan_usage(provider, text);
  if (!scanned) return;
  const auto object = parse_object(text);
  if (!object) std::abort();
  const auto tree = tr::detail::read_usage(provider, *object);
  if (tree.input != scanned->input || tree.output != scanned->output ||
      tree.cache_read != scanned->cache_read || tree.cache_creation != scanned->cache_creation ||
      tree.reasoning != scanned->reasoning || !scanned->known)
    std::abort();
}

void fuzz_answer(tr::Dialect provider, tr::Dialect caller, std::string_view text) {
  check_usage_text(provider, text);
  (void)tr::usage_of_answer(provider, text);
  auto body = parse_object(text);
  if (!body) return;
  aigw::Usage usage;
  auto converted = tr::convert_response(provider, caller, *body, usage, fixed_context(false));
  if (converted) (void)json::serialize(*converted);
  (void)tr::usage_from_response(provider, *body);
}

// Every event the gateway produced must be readable by the caller's SDK: JSON or [DONE].
void check_client_stream(const std::string& out) {
  tr::SseParser parser;
  std::vector<tr::SseEvent> events;
  parser.feed(out, events);
  parser.finish(events);
  for (const auto& e : events) {
    if (e.data == "[DONE]") continue;
    boost::system::error_code ec;
    (void)json::parse(e.data, ec);
    if (ec) std::abort();
  }
}

void fuzz_stream(tr::Dialect provider, tr::Dialect caller, std::string_view bytes, int cut,
                 bool breaks) {
  const bool include_usage = (cut & 1) != 0;
  auto converter = tr::make_stream_converter(provider, caller, fixed_context(include_usage));
  if (!converter) return;
  // Passthrough streams forward the provider's bytes unchanged; only translations are checked.
  const bool translated = provider != caller;
  static constexpr std::size_t kCuts[] = {std::size_t{1} << 30, 1, 7, 64};
  const std::size_t step = kCuts[cut];
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += step) {
    converter->feed(bytes.substr(i, step), out);
  }
  // A stream ends one way: the provider finished it, or it broke.
  if (breaks) {
    converter->fail("upstream broke", out);
  } else {
    converter->finish(out);
  }
  (void)converter->usage();
  if (translated) check_client_stream(out);
  if (provider == tr::Dialect::kOpenAiChat && caller == tr::Dialect::kOpenAiChat) {
    auto stripper = tr::make_chat_usage_stripper();
    std::string stripped;
    stripper->feed(bytes, stripped);
    stripper->finish(stripped);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const tr::Dialect first = kDialects[selector & 3];
  const tr::Dialect second = kDialects[(selector >> 2) & 3];
  const int cut = (selector >> 6) & 3;
  switch ((selector >> 4) & 3) {
    case 0:
      fuzz_request(first, second, rest);
      break;
    case 1:
      fuzz_answer(first, second, rest);
      break;
    case 2:
      fuzz_stream(first, second, rest, cut, false);
      break;
    default:
      (void)tr::convert_error(first, second, 400 + (cut * 37), rest);
      fuzz_stream(first, second, rest, cut, true);
      break;
  }
  return 0;
}
