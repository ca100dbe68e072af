// The size of an answer's text in one streamed event, read without building a JSON tree: the
// passthrough observer measures every chunk (for the estimate charged when a stream ends
// without the provider's counts), so this runs for every event a provider streams.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace aigw::translate {

struct EventMeasure {
  std::int64_t text_bytes = 0;  // the decoded length of the strings under the text keys
  bool has_object = false;      // some `object_key` holds an object (e.g. a real "usage")
};

// Reads `json_text` once: the text keys' string values at any depth, and whether any
// `object_key` has an object value (a provider's "usage": null on every chunk is not one).
// nullopt when `json_text` is not valid JSON.
std::optional<EventMeasure> measure_event(std::string_view json_text,
                                          std::span<const std::string_view> text_keys,
                                          std::string_view object_key = {});

// measure_event for the events of one stream, one after the other. A provider wraps each
// delta in the same envelope (id, model, created, ...: OpenAI's chunk is ~300 bytes for a
// few bytes of text): when an event begins with the same bytes as the one before, up to that
// one's first text value, the scan starts there instead of reading the envelope again.
class EventMeter {
 public:
  // The keys are fixed for the meter's life (they decide where the envelope ends).
  EventMeter(std::span<const std::string_view> text_keys, std::string_view object_key)
      : keys_(text_keys), object_key_(object_key) {}

  std::optional<EventMeasure> measure(std::string_view json_text);

 private:
  static constexpr std::size_t kMaxEnvelope = 4096;  // a longer one is not kept

  std::span<const std::string_view> keys_;
  std::string_view object_key_;
  std::string envelope_;  // the last event up to its first text value's opening quote, included
  EventMeasure before_;   // what that part measured
};

// The same measure by a JSON parser (SAX, no tree): what measure_event leaves to it, and the
// reference its tests and fuzzer compare it with.
std::optional<EventMeasure> parse_and_measure_event(std::string_view json_text,
                                                    std::span<const std::string_view> text_keys,
                                                    std::string_view object_key = {});

// Whether some `key` (any depth) holds an object, found by searching for `"key"` alone: in JSON
// an unescaped quote followed by a letter can only open a string, and the next unescaped quote
// closes it, so such a match followed by ':' is that key (text with a Unicode escape, which
// could spell the key, is scanned instead). For valid JSON it agrees with measure_event's
// has_object; for `key`s that start with a letter. Much cheaper than measuring:
// every chunk of a chat stream says "usage":null and only the last one holds the counts.
bool has_object_under(std::string_view json_text, std::string_view key);

// Just the text bytes.
std::optional<std::int64_t> string_bytes_under(std::string_view json_text,
                                               std::initializer_list<std::string_view> keys);

}  // namespace aigw::translate
