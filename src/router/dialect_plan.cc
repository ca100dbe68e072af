// Endpoint + provider → the pair of dialects a request is served with.
#include "router/dialect_plan.h"

namespace aigw::router {

using translate::Dialect;

std::optional<Dialect> caller_dialect(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kChatCompletions:
      return Dialect::kOpenAiChat;
    case Endpoint::kResponses:
      return Dialect::kOpenAiResponses;
    case Endpoint::kMessages:
    case Endpoint::kCountTokens:
      return Dialect::kAnthropicMessages;
    case Endpoint::kEmbeddings:
    case Endpoint::kModels:
      break;
  }
  return std::nullopt;
}

std::optional<DialectPlan> plan_dialects(Endpoint endpoint,
                                         const config::ProviderConfig& provider) {
  const auto caller = caller_dialect(endpoint);
  if (!caller) {
    // Embeddings and model lists only go to a provider of their own API.
    if (provider.api != ProviderApi::kMock && provider.api != endpoint_api(endpoint))
      return std::nullopt;
    return DialectPlan{Dialect::kOpenAiChat, Dialect::kOpenAiChat};
  }
  Dialect target = *caller;
  switch (provider.api) {
    case ProviderApi::kMock:
      break;
    case ProviderApi::kAnthropic:
      target = Dialect::kAnthropicMessages;
      break;
    case ProviderApi::kGoogle:
      target = Dialect::kGoogleGemini;
      break;
    case ProviderApi::kOpenAi:
      target = *caller == Dialect::kOpenAiResponses && provider.responses_api
                   ? Dialect::kOpenAiResponses
                   : Dialect::kOpenAiChat;
      break;
  }
  if (!translate::can_translate(*caller, target)) return std::nullopt;
  return DialectPlan{*caller, target};
}

}  // namespace aigw::router
