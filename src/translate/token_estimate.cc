// An estimate of an Anthropic request's input tokens, for count_tokens on providers that have
// no such endpoint. English text and JSON average about four characters per token.
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

}  // namespace

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
