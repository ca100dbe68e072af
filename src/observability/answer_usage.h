// Token usage of a whole provider answer (OpenAI chat/embeddings, Responses, Anthropic,
// Gemini), read from its usage object without parsing the whole answer. Streams are read by
// translate/'s usage observer (translate::make_usage_observer).
#pragma once

#include <string_view>

#include "core/usage.h"

namespace aigw::observability {

Usage usage_from_json(std::string_view body);

}  // namespace aigw::observability
