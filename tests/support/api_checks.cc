// Config snippets, canned provider answers and error-shape checks for the integration tests.
#include "support/api_checks.h"

#include <boost/json.hpp>

namespace aigw::testing {
namespace {

namespace json = boost::json;

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

}  // namespace

std::string provider_entry(const std::string& name, const std::string& dialect,
                           const std::string& base_url, const std::string& api_key,
                           const std::string& extra) {
  std::string line = "  " + name + ": { dialect: " + dialect + ", base_url: \"" + base_url + "\"";
  if (!api_key.empty()) line += ", api_key: \"" + api_key + "\"";
  if (!extra.empty()) line += ", " + extra;
  return line + " }\n";
}

std::string providers_yaml(const FakeUpstream* openai, const FakeUpstream* anthropic) {
  std::string yaml = "providers:\n";
  if (openai) yaml += provider_entry("openai", "openai", openai->base_url());
  if (anthropic) yaml += provider_entry("anthropic", "anthropic", anthropic->base_url());
  return yaml;
}

std::string openai_chat_answer(const std::string& text, int prompt_tokens, int completion_tokens) {
  return json::serialize(json::object{
      {"id", "chatcmpl-test"},
      {"object", "chat.completion"},
      {"created", 1700000000},
      {"model", "gpt-4o"},
      {"choices",
       json::array{json::object{{"index", 0},
                                {"message", json::object{{"role", "assistant"}, {"content", text}}},
                                {"finish_reason", "stop"}}}},
      {"usage", json::object{{"prompt_tokens", prompt_tokens},
                             {"completion_tokens", completion_tokens},
                             {"total_tokens", prompt_tokens + completion_tokens}}}});
}

std::string anthropic_message_answer(const std::string& text, int input_tokens, int output_tokens) {
  return json::serialize(json::object{
      {"id", "msg_test"},
      {"type", "message"},
      {"role", "assistant"},
      {"model", "claude-sonnet-4-20250514"},
      {"content", json::array{json::object{{"type", "text"}, {"text", text}}}},
      {"stop_reason", "end_turn"},
      {"usage", json::object{{"input_tokens", input_tokens}, {"output_tokens", output_tokens}}}});
}

std::string openai_delta_event(const std::string& text) {
  return "data: " +
         json::serialize(json::object{
             {"id", "chatcmpl-test"},
             {"object", "chat.completion.chunk"},
             {"created", 1700000000},
             {"model", "gpt-4o"},
             {"choices", json::array{json::object{{"index", 0},
                                                  {"delta", json::object{{"content", text}}}}}}}) +
         "\n\n";
}

std::string openai_done_event() { return "data: [DONE]\n\n"; }

std::vector<std::string> anthropic_stream_events(const std::vector<std::string>& pieces) {
  auto event = [](const std::string& type, const json::object& data) {
    return "event: " + type + "\ndata: " + json::serialize(data) + "\n\n";
  };
  std::vector<std::string> out;
  out.push_back(event("message_start",
                      {{"type", "message_start"},
                       {"message", json::object{{"id", "msg_test"},
                                                {"type", "message"},
                                                {"role", "assistant"},
                                                {"model", "claude-sonnet-4-20250514"},
                                                {"content", json::array{}},
                                                {"usage", json::object{{"input_tokens", 9},
                                                                       {"output_tokens", 1}}}}}}));
  out.push_back(event("content_block_start",
                      {{"type", "content_block_start"},
                       {"index", 0},
                       {"content_block", json::object{{"type", "text"}, {"text", ""}}}}));
  for (const auto& piece : pieces) {
    out.push_back(event("content_block_delta",
                        {{"type", "content_block_delta"},
                         {"index", 0},
                         {"delta", json::object{{"type", "text_delta"}, {"text", piece}}}}));
  }
  out.push_back(event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
  out.push_back(event("message_delta", {{"type", "message_delta"},
                                        {"delta", json::object{{"stop_reason", "end_turn"}}},
                                        {"usage", json::object{{"output_tokens", 4}}}}));
  out.push_back(event("message_stop", {{"type", "message_stop"}}));
  return out;
}

::testing::AssertionResult is_openai_error(const HttpResponse& r, int status,
                                           std::string_view message_part) {
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure()
           << why << "\n  status " << r.status << ", body: " << r.body;
  };
  if (r.status != status) return fail("status is not " + std::to_string(status));
  const auto v = r.json();
  if (!v.is_object()) return fail("body is not a JSON object");
  const auto* error = v.as_object().if_contains("error");
  if (!error || !error->is_object()) return fail("no error object (OpenAI shape)");
  const auto& e = error->as_object();
  for (const char* key : {"message", "type", "param", "code"}) {
    if (!e.contains(key)) return fail(std::string("error has no ") + key);
  }
  if (!e.at("param").is_null()) return fail("error.param is not null");
  if (str(e.at("message")).find(message_part) == std::string::npos) {
    return fail("error.message lacks \"" + std::string(message_part) + "\"");
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_anthropic_error(const HttpResponse& r, int status,
                                              std::string_view message_part) {
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure()
           << why << "\n  status " << r.status << ", body: " << r.body;
  };
  if (r.status != status) return fail("status is not " + std::to_string(status));
  const auto v = r.json();
  if (!v.is_object()) return fail("body is not a JSON object");
  const auto& o = v.as_object();
  if (!o.contains("type") || o.at("type") != "error")
    return fail("type is not \"error\" (Anthropic shape)");
  const auto* error = o.if_contains("error");
  if (!error || !error->is_object()) return fail("no error object");
  const auto& e = error->as_object();
  if (!e.contains("type") || !e.contains("message")) return fail("error lacks type or message");
  if (str(e.at("message")).find(message_part) == std::string::npos) {
    return fail("error.message lacks \"" + std::string(message_part) + "\"");
  }
  return ::testing::AssertionSuccess();
}

Headers with_provider(const std::string& provider, Headers more) {
  more.insert(more.begin(), {"x-portkey-provider", provider});
  return more;
}

}  // namespace aigw::testing
