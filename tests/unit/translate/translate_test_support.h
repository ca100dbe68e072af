// Helpers for the translation tests: golden files, stable JSON printing, feeding a stream in
// chunks of any size, and reading the SSE events a converter wrote.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "translate/sse_parser.h"
#include "translate/translate.h"

namespace aigw::translate::testing {

namespace json = boost::json;

inline std::filesystem::path data_dir() {
  return std::filesystem::path(AIGW_TEST_DATA_DIR) / "translate";
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// AIGW_UPDATE_GOLDEN=1 rewrites the expected files from the current output (review the diff).
inline bool update_golden() {
  const char* v = std::getenv("AIGW_UPDATE_GOLDEN");
  return v && std::string_view(v) == "1";
}

inline json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }

// Two-space indented JSON with keys in their original order, for readable golden files.
inline void pretty(const json::value& v, std::string& out, int indent = 0) {
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  const std::string end_pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object() && !v.as_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& kv : v.as_object()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::value(kv.key())) + ": ";
      pretty(kv.value(), out, indent + 2);
    }
    out += "\n" + end_pad + "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& e : v.as_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      pretty(e, out, indent + 2);
    }
    out += "\n" + end_pad + "]";
  } else {
    out += json::serialize(v);
  }
}

inline std::string pretty(const json::value& v) {
  std::string out;
  pretty(v, out);
  out += "\n";
  return out;
}

inline json::object usage_json(const Usage& u) {
  return {{"input_tokens", u.input_tokens},
          {"output_tokens", u.output_tokens},
          {"cached_tokens", u.cached_tokens},
          {"known", u.known}};
}

// Feeds `input` in pieces of the given sizes (cycled), then finishes the stream.
inline std::string run_stream(StreamConverter& c, std::string_view input,
                              const std::vector<std::size_t>& sizes) {
  std::string out;
  std::size_t i = 0;
  std::size_t k = 0;
  while (i < input.size()) {
    const std::size_t n = std::min(sizes[k++ % sizes.size()], input.size() - i);
    c.feed(input.substr(i, n), out);
    i += n;
  }
  c.finish(out);
  return out;
}

inline std::vector<std::size_t> random_sizes(unsigned seed, std::size_t max) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> dist(1, max);
  std::vector<std::size_t> sizes(64);
  for (auto& s : sizes) s = dist(rng);
  return sizes;
}

// The events a converter wrote, parsed back the way a client would.
struct ParsedEvent {
  std::string event;
  json::value data;  // null for [DONE]
};

inline std::vector<ParsedEvent> parse_events(std::string_view sse) {
  SseParser parser;
  std::vector<SseEvent> raw;
  parser.feed(sse, raw);
  parser.finish(raw);
  std::vector<ParsedEvent> out;
  for (auto& e : raw) {
    ParsedEvent p{e.event, nullptr};
    if (e.data != "[DONE]") p.data = json::parse(e.data);
    out.push_back(std::move(p));
  }
  return out;
}

inline RequestContext test_context() {
  RequestContext ctx;
  ctx.model = "test-model";
  ctx.created = 1700000000;
  ctx.request_id = "req_test";
  return ctx;
}

}  // namespace aigw::translate::testing
