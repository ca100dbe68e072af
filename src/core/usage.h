// Token usage read from a provider's answer: what budgets, the ledger and the access log count.
#pragma once

#include <cstdint>

namespace aigw {

struct Usage {
  std::int64_t input_tokens = 0;   // prompt tokens, including cached ones
  std::int64_t output_tokens = 0;  // completion tokens, including reasoning
  std::int64_t cached_tokens = 0;  // input tokens served from the provider's prompt cache
  bool known = false;              // false when the provider reported nothing
  // How many of input + output are the gateway's estimate rather than the provider's count
  // (a stream that broke off or whose caller left before the provider's final usage).
  std::int64_t estimated_tokens = 0;
};

// Adds `more` when it is known (a request's answer plus what its failed attempts reported).
inline void add_usage(Usage& into, const Usage& more) {
  if (!more.known) return;
  into.known = true;
  into.input_tokens += more.input_tokens;
  into.output_tokens += more.output_tokens;
  into.cached_tokens += more.cached_tokens;
  into.estimated_tokens += more.estimated_tokens;
}

}  // namespace aigw
