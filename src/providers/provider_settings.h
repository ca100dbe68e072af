// A provider entry of the config (`providers:`): where it is, which dialect it speaks, how
// its key is sent. Owned by the providers part; config/ assembles it from YAML.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/duration.h"
#include "core/endpoint.h"

namespace aigw::providers {

// How the gateway's stored key is sent to a provider.
enum class KeyStyle { kBearer, kXApiKey, kAzureApiKey, kGoogApiKey, kNone };

// A base URL split once at load, so the request path never parses URLs.
struct BaseUrl {
  bool tls = false;
  std::string host;         // without brackets for IPv6
  std::string port;         // explicit or the scheme's default
  std::string path;         // e.g. /v1, without a trailing slash
  std::string host_header;  // host[:port] as written
};

struct ProviderConfig {
  std::string name;
  ProviderApi api = ProviderApi::kOpenAi;
  std::string base_url;        // without a trailing slash, e.g. https://api.openai.com/v1
  BaseUrl base;                // base_url, split
  std::string api_key;         // empty when the provider needs none (or it is unset)
  std::string api_key_source;  // where the key came from, for messages (e.g. "OPENAI_API_KEY")
  KeyStyle key_style = KeyStyle::kBearer;
  std::vector<std::string> models;  // advertised by GET /v1/models
  // Model aliases (`models:` as a map): the public name agents use → the provider's own id.
  std::map<std::string, std::string, std::less<>> model_ids;
  std::string probe_model;    // used by health probes (max_tokens: 1)
  Millis connect_timeout{0};  // 0: the upstream default
  Millis read_timeout{0};
  // OpenAI-dialect providers: true when the provider serves /v1/responses itself; false (an
  // OpenAI-compatible server with chat completions only) translates Responses callers to chat.
  bool responses_api = true;
};

}  // namespace aigw::providers
