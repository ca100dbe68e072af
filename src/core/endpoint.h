// The API surface: which endpoints aigw serves and which provider API each one speaks.
#pragma once

#include <optional>
#include <string_view>

namespace aigw {

// A provider's native API family, as `dialect:` in the config.
enum class ProviderApi { kOpenAi, kAnthropic, kGoogle, kMock };

enum class Endpoint {
  kChatCompletions,  // POST /v1/chat/completions  (openai-chat)
  kResponses,        // POST /v1/responses         (openai-responses)
  kEmbeddings,       // POST /v1/embeddings        (openai-embeddings)
  kModels,           // GET  /v1/models
  kMessages,         // POST /v1/messages          (anthropic-messages)
  kCountTokens,      // POST /v1/messages/count_tokens
};

// The API family an endpoint belongs to: what the caller speaks.
constexpr ProviderApi endpoint_api(Endpoint e) {
  return (e == Endpoint::kMessages || e == Endpoint::kCountTokens) ? ProviderApi::kAnthropic
                                                                   : ProviderApi::kOpenAi;
}

// Errors on Anthropic endpoints are Anthropic-shaped; everything else is OpenAI-shaped.
enum class ErrorStyle { kOpenAi, kAnthropic, kPlain };

constexpr ErrorStyle endpoint_error_style(Endpoint e) {
  return endpoint_api(e) == ProviderApi::kAnthropic ? ErrorStyle::kAnthropic : ErrorStyle::kOpenAi;
}

std::string_view endpoint_name(Endpoint e);
std::string_view provider_api_name(ProviderApi api);
std::optional<ProviderApi> parse_provider_api(std::string_view name);

// The path below the provider's base URL (which ends in /v1 for OpenAI and Anthropic).
std::string_view endpoint_upstream_path(Endpoint e);

}  // namespace aigw
