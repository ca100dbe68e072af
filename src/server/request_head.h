// A request's head as the framer read it: the request line's parts and the field lines, kept
// in one string with offsets into it. Beast's `http::request` allocated and indexed each field
// on its own (a node, a set insert, a copy per field line); a head is read once and looked up
// a handful of times, so one buffer and a walk over its few lines is all it needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::server {

class RequestHead {
 public:
  struct Field {
    std::string_view name;   // as the caller spelled it
    std::string_view value;  // blanks around it dropped
  };

  // Building (RequestFramer): the request line first, then each field line in order.
  // `expected_bytes`: about how much all parts take (the head's size), so the text is one
  // allocation.
  void set_request_line(std::string_view method, std::string_view target, int version,
                        std::size_t expected_bytes = 0);
  void add_field(std::string_view name, std::string_view value);

  std::string_view method() const { return slice(method_); }
  std::string_view target() const { return slice(target_); }
  int version() const { return version_; }  // 10 or 11; 0 before a request line was read

  // The first line named `name` (ASCII case-insensitive), if any.
  std::optional<std::string_view> field(std::string_view name) const;
  // The first line's value, or "" when there is none.
  std::string_view value_or_empty(std::string_view name) const {
    return field(name).value_or(std::string_view());
  }
  std::size_t field_count() const { return fields_.size(); }
  Field field_at(std::size_t i) const { return {slice(fields_[i].name), slice(fields_[i].value)}; }
  // Whether the connection may carry another request after this one (RFC 9112 9.3): HTTP/1.1
  // unless a Connection line lists "close"; HTTP/1.0 only when one lists "keep-alive".
  bool keep_alive() const;

  // Every field line in order, as `for (const auto [name, value] : head)`.
  class Iterator {
   public:
    Iterator(const RequestHead* head, std::size_t at) : head_(head), at_(at) {}
    Field operator*() const { return head_->field_at(at_); }
    Iterator& operator++() {
      ++at_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return at_ != other.at_; }

   private:
    const RequestHead* head_;
    std::size_t at_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, fields_.size()}; }

 private:
  struct Span {
    std::uint32_t at = 0;
    std::uint32_t size = 0;
  };
  struct FieldSpans {
    Span name;
    Span value;
  };
  Span append(std::string_view part);
  std::string_view slice(Span s) const { return {text_.data() + s.at, s.size}; }

  std::string text_;  // the parts back to back
  Span method_;
  Span target_;
  int version_ = 0;
  std::vector<FieldSpans> fields_;
};

}  // namespace aigw::server
