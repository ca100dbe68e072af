// Usage of a whole answer, read by the same per-dialect readers as translated answers and
// streams (dialects.h), without parsing a long answer whole just for its usage.
#include <boost/json.hpp>

#include "translate/dialects.h"
#include "translate/translate.h"

namespace aigw::translate {
namespace {

namespace json = boost::json;

// Where `quoted_key` last occurs in `body`. (string_view::rfind compares the whole key at
// every position from the end; this looks for the closing quote first.)
std::size_t last_occurrence(std::string_view body, std::string_view quoted_key) {
  const char last = quoted_key.back();
  for (std::size_t end = body.size(); end >= quoted_key.size();) {
    const auto at = body.rfind(last, end - 1);
    if (at == std::string_view::npos || at + 1 < quoted_key.size()) return std::string_view::npos;
    const std::size_t begin = at + 1 - quoted_key.size();
    if (body.compare(begin, quoted_key.size(), quoted_key) == 0) return begin;
    end = at;
  }
  return std::string_view::npos;
}

// The JSON object that follows the last `"key":` in `body`, found by matching braces (and
// skipping strings). Empty when there is none, or when the last match sits inside a string
// (escaped quote before it): then the caller parses the whole answer.
std::string_view object_after_key(std::string_view body, std::string_view quoted_key) {
  const auto at = last_occurrence(body, quoted_key);
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

}  // namespace

Usage usage_of_answer(Dialect dialect, std::string_view body) {
  char quoted[24];  // "usage" or "usageMetadata", with their quotes
  const std::string_view key = usage_key(dialect);
  quoted[0] = '"';
  key.copy(quoted + 1, key.size());
  quoted[key.size() + 1] = '"';
  if (const auto object = object_after_key(body, {quoted, key.size() + 2}); !object.empty()) {
    // The usage object is small: parsed into a buffer on the stack, no allocation.
    unsigned char storage[2048];
    json::monotonic_resource arena(storage, sizeof storage);
    boost::system::error_code ec;
    const json::value usage = json::parse(object, ec, &arena);
    if (!ec && usage.is_object()) {
      if (const Usage u = usage_from_object(dialect, usage.as_object()); u.known) return u;
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
