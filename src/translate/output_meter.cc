#include "translate/output_meter.h"

#include <boost/json/basic_parser_impl.hpp>
#include <string>

namespace aigw::translate {
namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// Boost.JSON's SAX interface: only keys and strings matter; everything else just passes.
class MeterHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  MeterHandler(std::span<const std::string_view> keys, std::string_view object_key)
      : keys_(keys), object_key_(object_key) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return scalar(); }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) {
    counting_ = false;  // a key whose value is an object: its own keys decide below
    found_object_ = found_object_ || at_object_key_;
    at_object_key_ = false;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    if (counting_) bytes_ += static_cast<std::int64_t>(s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    if (counting_) bytes_ += static_cast<std::int64_t>(s.size());
    return scalar();
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) {
      key_.append(s.data(), s.size());
      key = key_;
    }
    counting_ = false;
    for (const auto k : keys_) counting_ = counting_ || k == key;
    at_object_key_ = !object_key_.empty() && key == object_key_;
    key_.clear();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return scalar(); }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return scalar(); }
  bool on_double(double, string_view, error_code&) { return scalar(); }
  bool on_bool(bool, error_code&) { return scalar(); }
  bool on_null(error_code&) { return scalar(); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  std::int64_t bytes() const { return bytes_; }
  bool found_object() const { return found_object_; }

 private:
  bool scalar() {
    counting_ = false;
    at_object_key_ = false;
    return true;
  }

  std::span<const std::string_view> keys_;
  std::string_view object_key_;
  std::string key_;  // a key that arrived in parts
  bool counting_ = false;
  bool at_object_key_ = false;
  bool found_object_ = false;
  std::int64_t bytes_ = 0;
};

}  // namespace

std::optional<EventMeasure> measure_event(std::string_view json_text,
                                          std::span<const std::string_view> text_keys,
                                          std::string_view object_key) {
  json::basic_parser<MeterHandler> parser(json::parse_options{}, text_keys, object_key);
  error_code ec;
  parser.write_some(false, json_text.data(), json_text.size(), ec);
  if (ec) return std::nullopt;
  return EventMeasure{parser.handler().bytes(), parser.handler().found_object()};
}

std::optional<std::int64_t> string_bytes_under(std::string_view json_text,
                                               std::initializer_list<std::string_view> keys) {
  const auto m = measure_event(json_text, std::span(keys.begin(), keys.size()));
  if (!m) return std::nullopt;
  return m->text_bytes;
}

}  // namespace aigw::translate
