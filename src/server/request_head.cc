#include "server/request_head.h"

#include "core/text.h"

namespace aigw::server {

namespace {

// Whether a Connection value (a #token list, checked by the framer) lists `token`.
bool lists_token(std::string_view value, std::string_view token) {
  bool found = false;
  for_each_list_element(value, [&](std::string_view element) {
    found = ascii_iequals(element, token);
    return !found;
  });
  return found;
}

}  // namespace

RequestHead::Span RequestHead::append(std::string_view part) {
  const Span span{static_cast<std::uint32_t>(text_.size()),
                  static_cast<std::uint32_t>(part.size())};
  text_.append(part);
  return span;
}

void RequestHead::set_request_line(std::string_view method, std::string_view target, int version,
                                   std::size_t expected_bytes) {
  text_.clear();
  fields_.clear();
  text_.reserve(expected_bytes);
  fields_.reserve(16);  // an agent's request carries about ten lines
  method_ = append(method);
  target_ = append(target);
  version_ = version;
}

void RequestHead::add_field(std::string_view name, std::string_view value) {
  const Span n = append(name);
  const Span v = append(value);
  fields_.push_back({n, v});
}

std::optional<std::string_view> RequestHead::field(std::string_view name) const {
  for (const auto& f : fields_) {
    if (f.name.size == name.size() && ascii_iequals(slice(f.name), name)) return slice(f.value);
  }
  return std::nullopt;
}

bool RequestHead::keep_alive() const {
  bool close = false, keep = false;
  for (const auto& f : fields_) {
    if (!ascii_iequals(slice(f.name), "connection")) continue;
    close = close || lists_token(slice(f.value), "close");
    keep = keep || lists_token(slice(f.value), "keep-alive");
  }
  if (close) return false;
  return version_ == 11 || keep;
}

}  // namespace aigw::server
