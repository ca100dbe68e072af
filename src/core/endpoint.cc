#include "core/endpoint.h"

namespace aigw {

std::string_view endpoint_name(Endpoint e) {
  switch (e) {
    case Endpoint::kChatCompletions:
      return "chat_completions";
    case Endpoint::kResponses:
      return "responses";
    case Endpoint::kEmbeddings:
      return "embeddings";
    case Endpoint::kModels:
      return "models";
    case Endpoint::kMessages:
      return "messages";
    case Endpoint::kCountTokens:
      return "count_tokens";
  }
  return "unknown";
}

std::string_view endpoint_upstream_path(Endpoint e) {
  switch (e) {
    case Endpoint::kChatCompletions:
      return "/chat/completions";
    case Endpoint::kResponses:
      return "/responses";
    case Endpoint::kEmbeddings:
      return "/embeddings";
    case Endpoint::kModels:
      return "/models";
    case Endpoint::kMessages:
      return "/messages";
    case Endpoint::kCountTokens:
      return "/messages/count_tokens";
  }
  return "";
}

std::string_view provider_api_name(ProviderApi api) {
  switch (api) {
    case ProviderApi::kOpenAi:
      return "openai";
    case ProviderApi::kAnthropic:
      return "anthropic";
    case ProviderApi::kGoogle:
      return "google";
    case ProviderApi::kMock:
      return "mock";
  }
  return "unknown";
}

std::optional<ProviderApi> parse_provider_api(std::string_view name) {
  if (name == "openai") return ProviderApi::kOpenAi;
  if (name == "anthropic") return ProviderApi::kAnthropic;
  if (name == "google" || name == "gemini") return ProviderApi::kGoogle;
  if (name == "mock") return ProviderApi::kMock;
  return std::nullopt;
}

}  // namespace aigw
