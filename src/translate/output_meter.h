// The size of an answer's text in one streamed event, read without building a JSON tree: the
// passthrough observer measures every chunk (for the estimate charged when a stream ends
// without the provider's counts), so this runs for every event a provider streams.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
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
