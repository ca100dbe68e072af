// Incremental Server-Sent Events parser: bytes in (split anywhere), whole events out.
// Follows the WHATWG event-stream rules: \n, \r\n or \r line ends, multi-line data, comments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aigw::translate {

struct SseEvent {
  std::string event;  // the `event:` field; empty when the event had none
  std::string data;   // `data:` lines joined with \n
};

// Receives each whole event. The event is the parser's own buffer, reused for the next one:
// read it in on_event, copy what must outlive the call.
class SseSink {
 public:
  virtual void on_event(const SseEvent& event) = 0;

 protected:
  ~SseSink() = default;
};

class SseParser {
 public:
  // The most one event may buffer (its partial line plus its data): a provider that never ends
  // a line or an event must not grow the gateway's memory without bound.
  static constexpr std::size_t kDefaultMaxEventBytes = 16 * 1024 * 1024;

  explicit SseParser(std::size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  // Hands each event completed by `bytes` to `sink` (no allocation once the buffers have grown
  // to the stream's largest event: this runs for every event a provider streams).
  void feed(std::string_view bytes, SseSink& sink);
  // End of input: an event that lacked its closing blank line is delivered too (providers
  // sometimes end the body without it).
  void finish(SseSink& sink);
  // The same, collecting copies of the events (tests, and callers that keep them).
  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  void finish(std::vector<SseEvent>& out);
  // True once an event outgrew the limit: it was dropped whole, up to its closing blank line.
  bool overflowed() const { return overflowed_; }

 private:
  void on_line(std::string_view line, SseSink& sink);
  void dispatch(SseSink& sink);
  void overflow();

  std::string partial_;   // an incomplete line carried to the next feed
  std::string line_;      // a line completed from partial_ (its buffer kept for the next)
  bool skip_lf_ = false;  // the last byte was \r: a following \n ends the same line
  SseEvent current_;
  bool has_data_ = false;
  std::size_t max_event_bytes_;
  bool discarding_ = false;  // inside an oversized event: skip to its blank line
  bool overflowed_ = false;
};

// Appends one SSE event: "event: NAME\n" (when NAME is not empty), then "data: DATA\n\n".
void append_sse(std::string& out, std::string_view event, std::string_view data);

}  // namespace aigw::translate
