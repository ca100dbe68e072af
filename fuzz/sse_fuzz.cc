// libFuzzer target: the SSE parser reads provider bytes, which arrive split anywhere. Any bytes
// must parse without a crash, and the events must not depend on where the bytes were cut: the
// input is fed whole, then byte by byte, then in chunks whose sizes come from the input itself,
// and the three event lists must be equal. Each event that is valid JSON also checks the
// passthrough observer's shortcuts: the text measured by one scan and a "usage" object found by
// searching for its key agree with a JSON parser, and a stream's meter with the scan alone.
#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "translate/output_meter.h"
#include "translate/sse_parser.h"

namespace {

using aigw::translate::SseEvent;
using aigw::translate::SseParser;

// The text keys of every dialect's stream events.
constexpr std::string_view kTextKeys[] = {
    "content", "reasoning_content", "text", "thinking", "partial_json", "name", "arguments"};

std::vector<SseEvent> parse_in_chunks(std::string_view input,
                                      std::size_t (*next_size)(std::size_t)) {
  SseParser parser;
  std::vector<SseEvent> events;
  std::size_t i = 0;
  for (std::size_t n = 0; i < input.size(); ++n) {
    const std::size_t size = std::min(next_size(n), input.size() - i);
    parser.feed(input.substr(i, size), events);
    i += size;
  }
  parser.finish(events);
  return events;
}

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].event != b[i].event || a[i].data != b[i].data) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto whole = parse_in_chunks(input, [](std::size_t) { return std::size_t{1} << 30; });
  const auto bytes = parse_in_chunks(input, [](std::size_t) { return std::size_t{1}; });
  // Uneven cuts (1, 2, 3, 5, 8, …, wrapping): a \r\n pair, a field name or a line end falls on
  // a boundary somewhere.
  const auto uneven = parse_in_chunks(input, [](std::size_t n) {
    static constexpr std::size_t kSizes[] = {1, 2, 3, 5, 8, 13, 21, 34};
    return kSizes[n % 8];
  });
  if (!same(whole, bytes) || !same(whole, uneven)) std::abort();
  // A stream's meter, which starts where the last event's envelope ended, measures every
  // event (JSON or not) as measure_event does alone.
  aigw::translate::EventMeter meter(kTextKeys, "usage");
  for (const auto& ev : whole) {
    const auto alone = aigw::translate::measure_event(ev.data, kTextKeys, "usage");
    const auto in_stream = meter.measure(ev.data);
    if (alone.has_value() != in_stream.has_value()) std::abort();
    if (alone && (alone->text_bytes != in_stream->text_bytes ||
                  alone->has_object != in_stream->has_object)) {
      std::abort();
    }
  }
  for (const auto& ev : whole) {
    boost::system::error_code ec;
    const auto tree = boost::json::parse(ev.data, ec);
    if (ec || !tree.is_object()) continue;
    const auto m = aigw::translate::measure_event(ev.data, kTextKeys, "usage");
    const auto parsed = aigw::translate::parse_and_measure_event(ev.data, kTextKeys, "usage");
    if (!m || !parsed || m->text_bytes != parsed->text_bytes || m->has_object != parsed->has_object)
      std::abort();
    if (aigw::translate::has_object_under(ev.data, "usage") != m->has_object) std::abort();
  }
  return 0;
}
