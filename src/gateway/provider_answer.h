// What a provider answered, seen the same way whether it came over the network (an upstream
// response) or from the in-process mock: a status, headers, and a body read piece by piece.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "providers/mock.h"
#include "upstream/upstream_client.h"

namespace aigw::gateway {

namespace net = boost::asio;

class ProviderAnswer {
 public:
  enum class Read { kData, kEnd, kFailed };
  virtual ~ProviderAnswer() = default;
  virtual int status() const = 0;
  virtual bool is_event_stream() const = 0;
  // Headers worth passing back to the caller (already filtered).
  virtual std::vector<std::pair<std::string, std::string>> headers() const = 0;
  virtual net::awaitable<Read> read_some(std::string& out) = 0;
  // What read_some would give now without waiting (bytes already in, or the end), with no
  // coroutine frame to pay for; nullopt when that needs a wait (then call read_some). A JSON
  // answer usually arrives with its head: read whole without one frame per layer.
  virtual std::optional<Read> read_buffered(std::string& out) = 0;
  // The next read_some returns without waiting (so a stream's head can wait for its bytes).
  virtual bool ready() const = 0;
  // Everything was read: the next read_some returns kEnd (so the end goes with the last bytes).
  virtual bool at_end() const = 0;
  // Why the last read failed.
  virtual upstream::UpstreamFailure failure() const = 0;
};

std::unique_ptr<ProviderAnswer> wrap_upstream(std::unique_ptr<upstream::UpstreamResponse> response);
// Plays a mock answer: events one by one with the requested delays, breaking where asked.
std::unique_ptr<ProviderAnswer> play_mock(net::io_context& io, providers::MockAnswer answer,
                                          const providers::MockControls& controls);

// Bounds on one answer's body (upstream.max_stream_bytes, upstream.max_stream_duration): an
// endless or trickling stream must not hold a connection, a reservation and memory forever.
struct AnswerLimits {
  std::uint64_t max_bytes = 0;
  std::chrono::milliseconds max_duration{0};
  std::shared_ptr<const Clock> clock;  // the gateway's (GatewayShared::clock)
};
// Fails the answer's reads (kTooLarge, naming the setting) once it has given more than
// max_bytes or is read after max_duration from now. A silent provider is the read timeout's.
std::unique_ptr<ProviderAnswer> limit_answer(std::unique_ptr<ProviderAnswer> answer,
                                             const AnswerLimits& limits);

// Reads the whole body, failing past `limit` bytes.
net::awaitable<bool> read_whole(ProviderAnswer& answer, std::string& out, std::uint64_t limit,
                                upstream::UpstreamFailure& failure);

}  // namespace aigw::gateway
