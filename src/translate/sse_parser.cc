// Incremental SSE parsing: lines are cut at \n, \r\n or \r, even when the pair is split
// across two feeds; a blank line dispatches the event.
#include "translate/sse_parser.h"

#include <cstring>

namespace aigw::translate {
namespace {

class CollectingSink final : public SseSink {
 public:
  explicit CollectingSink(std::vector<SseEvent>& out) : out_(out) {}
  void on_event(const SseEvent& event) override { out_.push_back(event); }

 private:
  std::vector<SseEvent>& out_;
};

}  // namespace

void SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  CollectingSink sink(out);
  feed(bytes, sink);
}

void SseParser::finish(std::vector<SseEvent>& out) {
  CollectingSink sink(out);
  finish(sink);
}

void SseParser::feed(std::string_view bytes, SseSink& sink) {
  // Line ends are found with memchr (vectorised) rather than byte by byte: a stream is mostly
  // long data lines, and this loop runs over every byte a provider streams.
  const std::size_t n = bytes.size();
  std::size_t start = 0;
  while (start < n) {
    if (skip_lf_) {  // the \n of a \r\n whose \r ended the previous line
      skip_lf_ = false;
      if (bytes[start] == '\n') {
        ++start;
        continue;
      }
    }
    const char* base = bytes.data() + start;
    const std::size_t rest = n - start;
    const auto* lf = static_cast<const char*>(std::memchr(base, '\n', rest));
    const auto* cr = static_cast<const char*>(
        std::memchr(base, '\r', lf ? static_cast<std::size_t>(lf - base) : rest));
    const char* end = cr ? cr : lf;
    if (end == nullptr) break;  // no line end in the rest: it is kept as a partial line
    const auto length = static_cast<std::size_t>(end - base);
    if (partial_.empty()) {
      on_line(std::string_view(base, length), sink);
    } else {
      partial_.append(base, length);
      line_.swap(partial_);
      partial_.clear();
      on_line(line_, sink);
    }
    skip_lf_ = end == cr;
    start += length + 1;
  }
  if (start >= bytes.size()) return;
  if (discarding_) {
    partial_ = "x";  // what is dropped only needs to count as a non-empty line
    return;
  }
  partial_.append(bytes.substr(start));
  if (partial_.size() + current_.data.size() > max_event_bytes_) overflow();
}

void SseParser::overflow() {
  overflowed_ = true;
  discarding_ = true;
  current_ = SseEvent{};
  has_data_ = false;
  if (!partial_.empty()) partial_ = "x";
}

void SseParser::finish(SseSink& sink) {
  if (discarding_) {
    partial_.clear();
    discarding_ = false;
    skip_lf_ = false;
    return;
  }
  if (!partial_.empty()) {
    line_.swap(partial_);
    partial_.clear();
    on_line(line_, sink);
  }
  dispatch(sink);
  skip_lf_ = false;
}

void SseParser::on_line(std::string_view line, SseSink& sink) {
  if (discarding_) {
    discarding_ = !line.empty();  // the blank line that ends the oversized event
    return;
  }
  if (line.empty()) return dispatch(sink);
  if (line.front() == ':') return;  // a comment (keep-alive)
  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
    if (current_.data.size() > max_event_bytes_) overflow();
  } else if (field == "event") {
    current_.event.assign(value);
  }
  // id and retry are not used by any provider dialect we read.
}

void SseParser::dispatch(SseSink& sink) {
  // Per the spec an event without data lines is dropped (its event name too).
  if (has_data_) sink.on_event(current_);
  current_.event.clear();  // cleared, not replaced: the buffers serve the next event
  current_.data.clear();
  has_data_ = false;
}

void append_sse(std::string& out, std::string_view event, std::string_view data) {
  if (!event.empty()) {
    out.append("event: ");
    out.append(event);
    out.push_back('\n');
  }
  out.append("data: ");
  out.append(data);
  out.append("\n\n");
}

}  // namespace aigw::translate
