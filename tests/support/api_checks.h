// Shared pieces of the integration tests: config snippets for fake providers, canned provider
// answers and SSE events, and checks of the gateway's error shapes (OpenAI and Anthropic).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {

// Distinctive secrets: grepping the gateway's output for them proves they never leak.
inline constexpr const char* kProviderKey = "sk-provider-SECRET-7f3a9c1e";
inline constexpr const char* kClientToken = "client-bearer-SECRET-52be0d44";

// One `providers:` entry line: `  NAME: { dialect: D, base_url: URL, api_key: KEY }`.
std::string provider_entry(const std::string& name, const std::string& dialect,
                           const std::string& base_url, const std::string& api_key = kProviderKey,
                           const std::string& extra = "");
// `providers:` with `openai` (dialect openai) and/or `anthropic` (dialect anthropic) pointed at
// fake upstreams (nullptr: left out).
std::string providers_yaml(const FakeUpstream* openai, const FakeUpstream* anthropic = nullptr);

// Canned provider answers.
std::string openai_chat_answer(const std::string& text = "hi", int prompt_tokens = 7,
                               int completion_tokens = 3);
std::string anthropic_message_answer(const std::string& text = "hi", int input_tokens = 5,
                                     int output_tokens = 2);
// One OpenAI chat.completion.chunk SSE event carrying `text`, and the final `[DONE]`.
std::string openai_delta_event(const std::string& text);
std::string openai_done_event();
// A complete Anthropic Messages stream, one event per element, answering `pieces`.
std::vector<std::string> anthropic_stream_events(const std::vector<std::string>& pieces);

// `response` is an error with `status` in the OpenAI shape
// {"error":{"message":…,"type":…,"param":null,"code":…}} and a message containing `message_part`.
::testing::AssertionResult is_openai_error(const HttpResponse& response, int status,
                                           std::string_view message_part);
// The same in the Anthropic shape {"type":"error","error":{"type":…,"message":…}}.
::testing::AssertionResult is_anthropic_error(const HttpResponse& response, int status,
                                              std::string_view message_part);

// Header lists the tests send most.
Headers with_provider(const std::string& provider, Headers more = {});

}  // namespace aigw::testing
