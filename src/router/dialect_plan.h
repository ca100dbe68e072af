// Which dialect the caller speaks and which the provider answers in, for one endpoint and
// provider: equal dialects are passthrough, different ones go through translate/. Pure.
#pragma once

#include <optional>

#include "config/config.h"
#include "core/endpoint.h"
#include "translate/translate.h"

namespace aigw::router {

struct DialectPlan {
  translate::Dialect caller = translate::Dialect::kOpenAiChat;
  translate::Dialect provider = translate::Dialect::kOpenAiChat;
  bool translated() const { return caller != provider; }
};

// The caller's dialect of a model endpoint; nullopt for endpoints that are never translated
// (embeddings, models).
std::optional<translate::Dialect> caller_dialect(Endpoint endpoint);

// How `provider` serves `endpoint`; nullopt when it cannot (e.g. embeddings on Anthropic).
// The mock provider answers every endpoint in the caller's own dialect.
std::optional<DialectPlan> plan_dialects(Endpoint endpoint, const config::ProviderConfig& provider);

}  // namespace aigw::router
