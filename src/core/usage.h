// Token usage read from a provider's answer: what budgets, the ledger and the access log count.
#pragma once

#include <cstdint>

namespace aigw {

struct Usage {
  std::int64_t input_tokens = 0;   // prompt tokens, including cached ones
  std::int64_t output_tokens = 0;  // completion tokens, including reasoning
  std::int64_t cached_tokens = 0;  // input tokens served from the provider's prompt cache
  bool known = false;              // false when the provider reported nothing
};

}  // namespace aigw
