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

// Just the text bytes.
std::optional<std::int64_t> string_bytes_under(std::string_view json_text,
                                               std::initializer_list<std::string_view> keys);

}  // namespace aigw::translate
