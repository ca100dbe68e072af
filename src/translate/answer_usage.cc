// Usage of a whole answer, read by the same per-dialect readers as translated answers and
// streams (dialects.h), without parsing a long answer whole just for its usage.
#include <boost/json.hpp>

#include "translate/dialects.h"
#include "translate/translate.h"

namespace aigw::translate {
namespace {

namespace json = boost::json;

// The JSON object that follows the last `"key":` in `body`, found by matching braces (and
// skipping strings). Empty when there is none, or when the last match sits inside a string
// (escaped quote before it): then the caller parses the whole answer.
std::string_view object_after_key(std::string_view body, std::string_view quoted_key) {
  const auto at = body.rfind(quoted_key);
  if (at == std::string_view::npos || (at > 0 && body[at - 1] == '\\')) return {};
  const auto open = body.find('{', at + quoted_key.size());
  if (open == std::string_view::npos) return {};
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = open; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return body.substr(open, i - open + 1);
    }
  }
  return {};
}

// Where each dialect keeps a whole answer's usage.
std::string_view usage_key(Dialect dialect) {
  return dialect == Dialect::kGoogleGemini ? "usageMetadata" : "usage";
}

}  // namespace

Usage usage_of_answer(Dialect dialect, std::string_view body) {
  const std::string_view key = usage_key(dialect);
  const std::string quoted = "\"" + std::string(key) + "\"";
  if (const auto object = object_after_key(body, quoted); !object.empty()) {
    boost::system::error_code ec;
    json::value usage = json::parse(object, ec);
    if (!ec && usage.is_object()) {
      json::object wrapper;
      wrapper[key] = std::move(usage);
      if (const Usage u = usage_from_response(dialect, wrapper); u.known) return u;
    }
  }
  // The key text appeared inside a string, or the shape is unusual: parse the whole answer.
  boost::system::error_code ec;
  const json::value whole = json::parse(body, ec);
  if (ec || !whole.is_object()) return {};
  return usage_from_response(dialect, whole.as_object());
}

Usage charge_for_answer(const Usage& reported, std::int64_t prompt_estimate,
                        std::size_t answer_bytes) {
  if (reported.known) return reported;
  return charged_usage(Usage{}, false, false, prompt_estimate,
                       static_cast<std::int64_t>(answer_bytes));
}

}  // namespace aigw::translate
