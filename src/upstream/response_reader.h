// A provider's answer as Beast's HTTP/1.1 parser reads it, kept flat: the status, every field
// in one string (Beast's own message type allocates each field on its own, ten allocations a
// head), and the body appended as it arrives (no zero-fill before each piece is copied in).
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::upstream {

class ResponseReader final : public boost::beast::http::basic_parser<false> {
 public:
  ResponseReader() { fields_.reserve(16); }

  int status() const { return status_; }
  // The value of the first field named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> field(std::string_view name) const;
  // Each field in the order received, names as the provider wrote them: f(name, value).
  template <class Visit>
  void for_each_field(Visit&& visit) const {
    for (const FieldSpan& f : fields_) {
      visit(std::string_view(text_).substr(f.name_at, f.name_size),
            std::string_view(text_).substr(f.name_at + f.name_size, f.value_size));
    }
  }
  // The body bytes parsed and not yet taken.
  std::string& body() { return body_; }
  const std::string& body() const { return body_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  struct FieldSpan {
    std::uint32_t name_at;
    std::uint32_t name_size;
    std::uint32_t value_size;  // the value follows the name in text_
  };

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override;
  std::size_t on_body_impl(string_view piece, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view piece, error_code& ec) override {
    return on_body_impl(piece, ec);
  }
  void on_finish_impl(error_code&) override {}

  int status_ = 0;
  std::string text_;  // each field's name then its value, back to back
  std::vector<FieldSpan> fields_;
  std::string body_;
};

}  // namespace aigw::upstream
