// Golden files: every tests/data/translate/<caller>_to_<provider>/<name>.in.* is converted and
// compared with <name>.out.*: requests (caller -> provider), answers and streams (provider ->
// caller). Streams are also fed byte by byte and in random chunks and must not change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "translate_test_support.h"

namespace aigw::translate::testing {
namespace {

namespace fs = std::filesystem;

struct GoldenCase {
  std::string cell;  // e.g. anthropic_to_chat
  std::string name;  // e.g. request_tools
  fs::path in;
};

// What gtest prints for a case (instead of its bytes).
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.cell << "/" << c.name; }

const std::map<std::string, Dialect>& dialect_words() {
  static const std::map<std::string, Dialect> words{{"chat", Dialect::kOpenAiChat},
                                                    {"responses", Dialect::kOpenAiResponses},
                                                    {"anthropic", Dialect::kAnthropicMessages},
                                                    {"gemini", Dialect::kGoogleGemini}};
  return words;
}

std::vector<GoldenCase> find_cases() {
  std::vector<GoldenCase> cases;
  for (const auto& dir : fs::directory_iterator(data_dir())) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      const std::string file = f.path().filename().string();
      const auto at = file.find(".in.");
      if (at == std::string::npos) continue;
      cases.push_back({dir.path().filename().string(), file.substr(0, at), f.path()});
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const auto& a, const auto& b) { return a.cell + a.name < b.cell + b.name; });
  return cases;
}

std::pair<Dialect, Dialect> caller_and_provider(const std::string& cell) {
  const auto at = cell.find("_to_");
  return {dialect_words().at(cell.substr(0, at)), dialect_words().at(cell.substr(at + 4))};
}

RequestContext context_for(const GoldenCase& c) {
  RequestContext ctx = test_context();
  const fs::path p = c.in.parent_path() / (c.name + ".ctx.json");
  if (!fs::exists(p)) return ctx;
  const auto o = parse_object(read_file(p));
  if (const auto* v = o.if_contains("model")) ctx.model = v->as_string();
  if (const auto* v = o.if_contains("include_usage")) ctx.include_usage = v->as_bool();
  if (const auto* v = o.if_contains("estimated_input_tokens"))
    ctx.estimated_input_tokens = v->as_int64();
  return ctx;
}

void expect_json_golden(const fs::path& expected_path, const json::value& actual) {
  if (update_golden()) return write_file(expected_path, pretty(actual));
  ASSERT_TRUE(fs::exists(expected_path))
      << expected_path << " is missing; run with AIGW_UPDATE_GOLDEN=1";
  const json::value expected = json::parse(read_file(expected_path));
  EXPECT_EQ(expected, actual) << expected_path << "\nactual:\n" << pretty(actual);
}

void expect_text_golden(const fs::path& expected_path, const std::string& actual) {
  if (update_golden()) return write_file(expected_path, actual);
  ASSERT_TRUE(fs::exists(expected_path))
      << expected_path << " is missing; run with AIGW_UPDATE_GOLDEN=1";
  EXPECT_EQ(read_file(expected_path), actual) << expected_path;
}

json::value error_json(const ApiError& e) {
  return json::object{{"error", {{"status", e.status}, {"type", e.type}, {"message", e.message}}}};
}

class TranslateGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(TranslateGoldenTest, MatchesGoldenFile) {
  const GoldenCase& c = GetParam();
  const auto [caller, provider] = caller_and_provider(c.cell);
  const fs::path dir = c.in.parent_path();
  const std::string input = read_file(c.in);
  const RequestContext ctx = context_for(c);

  if (c.name.starts_with("request")) {
    auto r = convert_request(caller, provider, parse_object(input));
    expect_json_golden(dir / (c.name + ".out.json"), r ? json::value(*r) : error_json(r.error()));
  } else if (c.name.starts_with("response")) {
    Usage usage;
    auto r = convert_response(provider, caller, parse_object(input), usage, ctx);
    json::object out{{"body", r ? json::value(*r) : error_json(r.error())},
                     {"usage", usage_json(usage)}};
    expect_json_golden(dir / (c.name + ".out.json"), out);
  } else if (c.name.starts_with("stream")) {
    auto whole = make_stream_converter(provider, caller, ctx);
    ASSERT_TRUE(whole);
    const std::string expected = run_stream(*whole, input, {input.size() + 1});
    expect_text_golden(dir / (c.name + ".out.sse"), expected);
    expect_json_golden(dir / (c.name + ".usage.json"), usage_json(whole->usage()));
    // Chunk boundaries must not change a single byte of the output.
    auto bytewise = make_stream_converter(provider, caller, ctx);
    EXPECT_EQ(expected, run_stream(*bytewise, input, {1})) << "byte by byte";
    for (unsigned seed : {1u, 2u, 3u}) {
      auto chunked = make_stream_converter(provider, caller, ctx);
      EXPECT_EQ(expected, run_stream(*chunked, input, random_sizes(seed, 40))) << "seed " << seed;
    }
  } else {
    FAIL() << "golden case name must start with request, response or stream: " << c.name;
  }
}

std::string case_name(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string n = info.param.cell + "_" + info.param.name;
  for (auto& ch : n) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Translate, TranslateGoldenTest, ::testing::ValuesIn(find_cases()),
                         case_name);

TEST(TranslateGoldenFilesTest, EveryRequiredCellHasRequestResponseAndStreamCases) {
  std::map<std::string, std::set<std::string>> kinds;
  for (const auto& c : find_cases()) kinds[c.cell].insert(c.name.substr(0, c.name.find('_')));
  for (const char* cell : {"anthropic_to_chat", "chat_to_anthropic", "responses_to_chat",
                           "responses_to_anthropic", "chat_to_gemini"}) {
    EXPECT_EQ(kinds[cell], (std::set<std::string>{"request", "response", "stream"})) << cell;
  }
}

}  // namespace
}  // namespace aigw::translate::testing
