// The built-in `mock` provider: deterministic answers for every endpoint, streaming or not,
// with realistic usage, steered by x-aigw-mock-* request headers (docs/api.md). Pure: the
// gateway plays the answer (delays, drops) on its side.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/endpoint.h"
#include "core/usage.h"

namespace aigw::providers {

// Bounds on what a caller can make the mock do: it answers in the gateway's own process.
inline constexpr int kMockMaxLatencyMs = 10'000;                   // x-aigw-mock-latency-ms
inline constexpr int kMockMaxChunkDelayMs = 2'000;                 // x-aigw-mock-chunk-delay-ms
inline constexpr std::size_t kMockMaxEmbeddingInputs = 2048;       // OpenAI's own limit
inline constexpr std::uint64_t kMockMaxEmbeddingValues = 1 << 18;  // inputs x dimensions

struct MockControls {
  int latency_ms = 0;      // before the answer
  int chunk_delay_ms = 0;  // between stream events
  int status = 0;          // fail with this status when set
  int retry_after = 7;     // on a 429
  int drop_after = -1;     // break a stream after this many events
  std::optional<std::string> reply;
};

using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view)>;
MockControls parse_mock_controls(const HeaderLookup& header);

struct MockAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  bool stream = false;
  std::string body;                 // when !stream
  std::vector<std::string> events;  // SSE-framed events, when stream
  Usage usage;
};

MockAnswer mock_answer(Endpoint endpoint, const boost::json::object& request,
                       const MockControls& controls);

}  // namespace aigw::providers
