// Token estimates where no provider count exists: an Anthropic request's input tokens for
// count_tokens on providers that have no such endpoint, any request's prompt and output limit
// for the reservation made when it is admitted, and the tokens of a stream that broke off or
// whose caller left before the provider reported its usage. English text and JSON average
// about four bytes per token.
#include <array>

#include "translate/json_util.h"
#include "translate/translate.h"

namespace aigw::translate {
namespace {

using namespace detail;

constexpr std::int64_t kCharsPerToken = 4;
constexpr std::int64_t kPerMessage = 4;   // role and framing tokens around each message
constexpr std::int64_t kPerRequest = 3;   // the reply's priming
constexpr std::int64_t kPerImage = 1600;  // Anthropic's cost of a full-size image
constexpr std::int64_t kPerTool = 16;     // a tool definition's framing

// Characters of text in a content value; images count flat, other blocks by their JSON.
void measure(const json::value& content, std::int64_t& chars, std::int64_t& tokens) {
  if (content.is_string()) {
    chars += static_cast<std::int64_t>(content.as_string().size());
    return;
  }
  if (!content.is_array()) return;
  for (const auto& b : content.as_array()) {
    if (!b.is_object()) continue;
    const auto& o = b.as_object();
    const auto type = str(o, "type");
    if (type == "text") {
      chars += static_cast<std::int64_t>(str(o, "text").size());
    } else if (type == "thinking") {
      chars += static_cast<std::int64_t>(str(o, "thinking").size());
    } else if (type == "image" || type == "document") {
      tokens += kPerImage;
    } else if (type == "tool_result") {
      if (const auto* c = field(o, "content")) measure(*c, chars, tokens);
    } else if (type == "tool_use") {
      chars += static_cast<std::int64_t>(str(o, "name").size());
      if (const auto* in = field(o, "input"))
        chars += static_cast<std::int64_t>(json::serialize(*in).size());
    } else {
      chars += static_cast<std::int64_t>(json::serialize(b).size());
    }
  }
}

// Fields of a request body that hold its prompt, in any dialect (chat, Responses, Anthropic,
// Gemini, embeddings).
constexpr std::array<std::string_view, 8> kPromptFields = {
    "messages",          "system", "instructions", "input", "contents",
    "systemInstruction", "tools",  "prompt"};
// Keys whose value is structure, not text the model reads as tokens of the prompt.
constexpr std::array<std::string_view, 10> kStructureKeys = {
    "role",        "type",      "id",     "call_id",       "tool_call_id",
    "tool_use_id", "signature", "status", "cache_control", "encrypted_content"};
// Keys whose value is an image, audio or file (often base64): a flat cost, not its bytes.
constexpr std::array<std::string_view, 10> kMediaKeys = {
    "image_url", "image",       "inline_data", "inlineData", "file_data",
    "fileData",  "input_audio", "file",        "source",     "image_data"};

template <std::size_t N>
bool one_of(std::string_view key, const std::array<std::string_view, N>& keys) {
  for (std::string_view k : keys) {
    if (k == key) return true;
  }
  return false;
}

// Any JSON: the bytes of its strings (and of numbers, as a model reads them) count as text.
void measure_any(const json::value& v, std::int64_t& chars, std::int64_t& tokens) {
  switch (v.kind()) {
    case json::kind::string:
      chars += static_cast<std::int64_t>(v.get_string().size());
      return;
    case json::kind::array:
      for (const auto& item : v.get_array()) measure_any(item, chars, tokens);
      return;
    case json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (one_of(kv.key(), kStructureKeys)) continue;
        if (one_of(kv.key(), kMediaKeys)) {
          tokens += kPerImage;
          continue;
        }
        measure_any(kv.value(), chars, tokens);
      }
      return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      chars += 2;
      return;
    default:
      return;
  }
}

}  // namespace

std::int64_t tokens_for_bytes(std::int64_t bytes) {
  return bytes <= 0 ? 0 : (bytes + kCharsPerToken - 1) / kCharsPerToken;
}

std::int64_t estimate_prompt_tokens(const boost::json::object& request) {
  std::int64_t chars = 0;
  std::int64_t tokens = kPerRequest;
  for (std::string_view name : kPromptFields) {
    const auto* v = field(request, name);
    if (!v) continue;
    if (name == "tools" && v->is_array()) {
      tokens += kPerTool * static_cast<std::int64_t>(v->as_array().size());
    } else if (v->is_array() && name != "input" && name != "prompt") {
      // messages / contents: framing tokens around each one.
      tokens += kPerMessage * static_cast<std::int64_t>(v->as_array().size());
    }
    measure_any(*v, chars, tokens);
  }
  return tokens + tokens_for_bytes(chars);
}

std::optional<std::int64_t> max_output_tokens(const boost::json::object& request) {
  // Read without trusting the caller: a double such as 1e300 or an int64 near its maximum
  // must not overflow the sums it enters (a wrapped reservation would be a free request).
  constexpr std::int64_t kLargest = 1'000'000'000;
  const auto limit = [](const json::value* v) -> std::optional<std::int64_t> {
    if (!v) return std::nullopt;
    double n = 0;
    if (v->is_int64()) {
      n = static_cast<double>(v->get_int64());
    } else if (v->is_uint64()) {
      n = static_cast<double>(v->get_uint64());
    } else if (v->is_double()) {
      n = v->get_double();
    } else {
      return std::nullopt;
    }
    if (!(n >= 1)) return std::nullopt;  // also NaN
    return n >= static_cast<double>(kLargest) ? kLargest : static_cast<std::int64_t>(n);
  };
  for (std::string_view name : {"max_completion_tokens", "max_output_tokens", "max_tokens"}) {
    if (const auto n = limit(field(request, name))) return n;
  }
  if (const auto* g = obj(request, "generationConfig")) return limit(field(*g, "maxOutputTokens"));
  return std::nullopt;
}

Usage charged_usage(const Usage& reported, bool input_reported, bool output_final,
                    std::int64_t prompt_estimate, std::int64_t output_bytes) {
  Usage u = reported;
  u.known = true;
  u.estimated_tokens = 0;
  if (!input_reported) {
    u.input_tokens = prompt_estimate;
    u.cached_tokens = 0;
    u.estimated_tokens += prompt_estimate;
  }
  if (!output_final) {
    // A partial count the provider sent (Anthropic's message_start says 1) is kept when the
    // text seen says no more.
    const std::int64_t seen = tokens_for_bytes(output_bytes);
    if (seen > u.output_tokens) {
      u.output_tokens = seen;
      u.estimated_tokens += seen;
    }
  }
  return u;
}

std::int64_t estimate_input_tokens(const boost::json::object& request) {
  std::int64_t chars = 0;
  std::int64_t tokens = kPerRequest;
  if (const auto* system = field(request, "system")) measure(*system, chars, tokens);
  if (const auto* messages = arr(request, "messages")) {
    for (const auto& m : *messages) {
      if (!m.is_object()) continue;
      tokens += kPerMessage;
      if (const auto* c = field(m.as_object(), "content")) measure(*c, chars, tokens);
    }
  }
  if (const auto* tools = arr(request, "tools")) {
    for (const auto& t : *tools) {
      tokens += kPerTool;
      chars += static_cast<std::int64_t>(json::serialize(t).size());
    }
  }
  return tokens + (chars + kCharsPerToken - 1) / kCharsPerToken;
}

}  // namespace aigw::translate
