// Usage objects of every dialect, found without parsing a whole answer.
#include "observability/answer_usage.h"

#include <boost/json.hpp>

namespace aigw::observability {
namespace {

namespace json = boost::json;

std::int64_t int_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

const json::object* object_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

// Merges one usage object into `u`. Anthropic reports input in message_start and output in
// message_delta, so fields absent from a later object keep their earlier values.
void merge_usage(const json::object& o, Usage& u) {
  u.known = true;
  if (o.contains("prompt_tokens")) {  // OpenAI chat / embeddings
    u.input_tokens = int_at(o, "prompt_tokens");
    u.output_tokens = int_at(o, "completion_tokens");
    if (const auto* d = object_at(o, "prompt_tokens_details")) u.cached_tokens = int_at(*d, "cached_tokens");
    return;
  }
  if (o.contains("promptTokenCount")) {  // Gemini usageMetadata
    u.input_tokens = int_at(o, "promptTokenCount");
    u.output_tokens = int_at(o, "candidatesTokenCount") + int_at(o, "thoughtsTokenCount");
    u.cached_tokens = int_at(o, "cachedContentTokenCount");
    return;
  }
  // Anthropic and the Responses API: input_tokens / output_tokens.
  if (o.contains("input_tokens")) {
    const std::int64_t cache_read = int_at(o, "cache_read_input_tokens");
    u.input_tokens = int_at(o, "input_tokens") + cache_read + int_at(o, "cache_creation_input_tokens");
    u.cached_tokens = cache_read;
    if (const auto* d = object_at(o, "input_tokens_details")) u.cached_tokens = int_at(*d, "cached_tokens");
  }
  if (o.contains("output_tokens")) u.output_tokens = int_at(o, "output_tokens");
}

// Finds a usage object wherever the dialect puts it.
void usage_from_object(const json::object& o, Usage& u) {
  if (const auto* usage = object_at(o, "usage")) return merge_usage(*usage, u);
  if (const auto* meta = object_at(o, "usageMetadata")) return merge_usage(*meta, u);
  for (const char* wrapper : {"message", "response"}) {  // Anthropic message_start, Responses
    if (const auto* inner = object_at(o, wrapper)) {
      if (const auto* usage = object_at(*inner, "usage")) return merge_usage(*usage, u);
    }
  }
}

}  // namespace

// The JSON object that follows the last `"key":` in `body`, found by matching braces (and
// skipping strings), so a long answer is not parsed whole just to read its usage.
static std::string_view object_after_key(std::string_view body, std::string_view quoted_key) {
  const auto at = body.rfind(quoted_key);
  if (at == std::string_view::npos) return {};
  const auto open = body.find('{', at + quoted_key.size());
  if (open == std::string_view::npos) return {};
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = open; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
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

Usage usage_from_json(std::string_view body) {
  Usage u;
  for (std::string_view key : {std::string_view("\"usage\""), std::string_view("\"usageMetadata\"")}) {
    const auto object = object_after_key(body, key);
    if (object.empty()) continue;
    boost::system::error_code ec;
    const json::value v = json::parse(object, ec);
    if (!ec && v.is_object()) merge_usage(v.as_object(), u);
    if (u.known) return u;
  }
  // The key text appeared inside a string, or the shape is unusual: parse the whole answer.
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) usage_from_object(v.as_object(), u);
  return u;
}

}  // namespace aigw::observability
