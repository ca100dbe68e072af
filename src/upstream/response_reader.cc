#include "upstream/response_reader.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>

#include "core/text.h"

namespace aigw::upstream {

std::optional<std::string_view> ResponseReader::field(std::string_view name) const {
  std::optional<std::string_view> found;
  for_each_field([&](std::string_view n, std::string_view v) {
    if (!found && ascii_iequals(n, name)) found = v;
  });
  return found;
}

void ResponseReader::on_field_impl(boost::beast::http::field, string_view name, string_view value,
                                   error_code&) {
  // The head is capped by the parser's header limit (8 KiB): offsets fit 32 bits.
  fields_.push_back({static_cast<std::uint32_t>(text_.size()),
                     static_cast<std::uint32_t>(name.size()),
                     static_cast<std::uint32_t>(value.size())});
  if (text_.empty()) text_.reserve(512);
  text_.append(name.data(), name.size());
  text_.append(value.data(), value.size());
}

void ResponseReader::on_body_init_impl(const boost::optional<std::uint64_t>& length,
                                       error_code& ec) {
  if (!length) return;
  if (*length > body_.max_size()) {
    ec = boost::beast::http::error::buffer_overflow;
    return;
  }
  // Room for what the provider announced, up to 1 MiB: a length it claims is no reason to
  // take memory before the bytes arrive.
  body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1 << 20)));
}

std::size_t ResponseReader::on_body_impl(string_view piece, error_code& ec) {
  if (piece.size() > body_.max_size() - body_.size()) {
    ec = boost::beast::http::error::buffer_overflow;
    return 0;
  }
  body_.append(piece.data(), piece.size());
  return piece.size();
}

}  // namespace aigw::upstream
