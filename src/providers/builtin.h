// The providers aigw knows by name, with their default base URL and how their key is sent.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "providers/provider_settings.h"

namespace aigw::providers {

struct BuiltinProvider {
  std::string_view name;
  ProviderApi api;
  std::string_view base_url;  // empty when it has no universal default (azure-openai)
  KeyStyle key_style;
  std::string_view key_env;      // environment variable holding its key, if any
  std::string_view probe_model;  // a small model for health probes (max_tokens: 1)
};

std::span<const BuiltinProvider> builtin_providers();
std::optional<BuiltinProvider> find_builtin(std::string_view name);

}  // namespace aigw::providers
