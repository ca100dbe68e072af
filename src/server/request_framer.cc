#include "server/request_framer.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cstring>
#include <iterator>

namespace aigw::server {
namespace {

namespace beast = boost::beast;

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

RequestFramer::RequestFramer(std::uint64_t header_limit) : header_limit_(header_limit) { start(); }

void RequestFramer::start() {
  parser_.emplace();
  // The whole head is handed to Beast at once, after the scan has checked its size.
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<std::uint64_t>(header_limit_ + 4, UINT32_MAX)));
  // The body limit is the caller's (parse_body), checked here, not by Beast.
  parser_->body_limit(boost::none);
  scanned_ = line_start_ = head_end_ = 0;
  head_done_ = false;
  problem_ = RequestProblem::kNone;
  detail_.clear();
  head_bytes_ = 0;
  content_length_.reset();
  chunked_ = expects_continue_ = body_done_ = false;
  body_status_ = BodyStatus::kOk;
  body_wire_bytes_ = 0;
  fields_at_head_ = 0;
}

RequestFramer::Step RequestFramer::fail(RequestProblem problem, std::string detail) {
  problem_ = problem;
  detail_ = std::move(detail);
  return Step::kFailed;
}

// Finds the blank line that ends the head, refusing on the way what two parsers could read
// differently: a CR or LF alone, NUL, and obs-fold (a line starting with space or tab, which
// some servers join to the line before and others read as a header of its own).
RequestFramer::Step RequestFramer::scan_head() {
  const auto* d = static_cast<const char*>(buffer_.data().data());
  const std::size_t n = buffer_.size();
  std::size_t i = scanned_;
  // Only the first header_limit bytes can be head: what lies beyond is never looked at, so
  // the verdict does not depend on how much arrived in one read.
  const std::size_t end = static_cast<std::size_t>(std::min<std::uint64_t>(n, header_limit_));
  while (i < end) {
    if (i == line_start_ && i > 0 && (d[i] == ' ' || d[i] == '\t')) {
      return fail(RequestProblem::kMalformed, "obsolete line folding");
    }
    // The rest of the line up to its CR, searched a word at a time (memchr), not byte by byte.
    const auto* cr = static_cast<const char*>(std::memchr(d + i, '\r', end - i));
    const std::size_t stop = cr != nullptr ? static_cast<std::size_t>(cr - d) : end;
    if (std::memchr(d + i, '\n', stop - i) != nullptr) {
      return fail(RequestProblem::kMalformed, "LF without CR");
    }
    if (std::memchr(d + i, '\0', stop - i) != nullptr) {
      return fail(RequestProblem::kMalformed, "NUL in the request head");
    }
    i = stop;
    if (cr == nullptr) break;
    if (i + 1 >= n) break;  // the LF may come with the next read
    if (d[i + 1] != '\n') return fail(RequestProblem::kMalformed, "CR without LF");
    if (i == line_start_) {
      if (i + 2 > header_limit_) return fail(RequestProblem::kHeadersTooLarge, "");
      head_end_ = i + 2;
      scanned_ = head_end_;
      return Step::kDone;
    }
    i += 2;
    line_start_ = i;
  }
  scanned_ = i;
  if (scanned_ >= header_limit_) return fail(RequestProblem::kHeadersTooLarge, "");
  return Step::kNeedMore;
}

RequestFramer::Step RequestFramer::parse_head() {
  if (head_done_) return Step::kDone;
  if (problem_ != RequestProblem::kNone) return Step::kFailed;
  // Empty lines before a request line are ignored (RFC 9112 2.2; some clients send one after
  // a body).
  while (scanned_ == 0 && buffer_.size() >= 2) {
    const auto* d = static_cast<const char*>(buffer_.data().data());
    if (d[0] != '\r' || d[1] != '\n') break;
    buffer_.consume(2);
  }
  const Step scanned = scan_head();
  if (scanned != Step::kDone) return scanned;

  beast::error_code ec;
  const std::size_t used = parser_->put(net_buffer(head_end_), ec);
  if (ec) return fail(RequestProblem::kMalformed, ec.message());
  if (!parser_->is_header_done() || used != head_end_) {
    return fail(RequestProblem::kMalformed, "unreadable request head");
  }
  buffer_.consume(head_end_);
  head_bytes_ = head_end_;
  const Step framing = check_framing(parser_->get());
  if (framing != Step::kDone) return framing;
  head_done_ = true;
  if (const auto length = parser_->content_length()) content_length_ = *length;
  chunked_ = parser_->chunked();
  expects_continue_ = parser_->get().version() == 11 &&
                      beast::iequals(parser_->get()[http::field::expect], "100-continue");
  fields_at_head_ =
      static_cast<std::size_t>(std::distance(parser_->get().begin(), parser_->get().end()));
  body_done_ = parser_->is_done();
  return Step::kDone;
}

boost::asio::const_buffer RequestFramer::net_buffer(std::size_t n) const {
  return {buffer_.data().data(), n};
}

// The framing rules, checked on every request whatever Beast accepted: the body's length must
// have exactly one reading.
RequestFramer::Step RequestFramer::check_framing(const http::request<http::string_body>& m) {
  if (m.version() != 10 && m.version() != 11) {
    return fail(RequestProblem::kMalformed, "HTTP version not supported");
  }
  int te_lines = 0, cl_lines = 0, host_lines = 0;
  std::string_view te, cl;
  for (const auto& f : m) {
    switch (f.name()) {
      case http::field::transfer_encoding:
        ++te_lines;
        te = view(f.value());
        break;
      case http::field::content_length:
        ++cl_lines;
        cl = view(f.value());
        break;
      case http::field::host:
        ++host_lines;
        break;
      default:
        break;
    }
  }
  if (host_lines > 1) return fail(RequestProblem::kMalformed, "Host sent more than once");
  if (te_lines > 0) {
    if (cl_lines > 0)
      return fail(RequestProblem::kMalformed, "Transfer-Encoding together with Content-Length");
    if (m.version() == 10)
      return fail(RequestProblem::kMalformed, "Transfer-Encoding in an HTTP/1.0 request");
    if (te_lines > 1)
      return fail(RequestProblem::kMalformed, "Transfer-Encoding sent more than once");
    if (!beast::iequals(trim_ows(te), "chunked")) {
      // Any coding but chunked is one we do not implement (501); chunked twice, empty
      // elements and the like are malformed (400).
      std::string_view rest = te;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto element = trim_ows(rest.substr(0, comma));
        if (!element.empty() && !beast::iequals(element, "chunked")) {
          return fail(RequestProblem::kUnsupportedCoding, "");
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      return fail(RequestProblem::kMalformed, "Transfer-Encoding must be exactly chunked");
    }
    if (!parser_->chunked())
      return fail(RequestProblem::kMalformed, "unreadable Transfer-Encoding");
  }
  if (cl_lines > 1) return fail(RequestProblem::kMalformed, "Content-Length sent more than once");
  if (cl_lines == 1 && !all_digits(trim_ows(cl))) {
    return fail(RequestProblem::kMalformed, "Content-Length must be one decimal number");
  }
  return Step::kDone;
}

void RequestFramer::salvage_head() {
  // A parser that already saw the head (head_end_ is set just before) keeps what it read.
  if (head_end_ != 0 || buffer_.size() == 0) return;
  beast::error_code ec;
  parser_->put(buffer_.data(), ec);  // whatever it makes of the request line is enough
}

http::request<http::string_body> RequestFramer::take_header() {
  http::request<http::string_body> out;
  out.base() = std::move(parser_->get().base());
  fields_at_head_ = 0;  // a field that appears in the parser from now on is a trailer
  return out;
}

RequestFramer::Step RequestFramer::parse_body(std::uint64_t limit) {
  if (body_done_) return Step::kDone;
  if (!head_done_ || body_status_ != BodyStatus::kOk) return Step::kFailed;
  auto too_large = [&] {
    body_status_ = BodyStatus::kTooLarge;
    return Step::kFailed;
  };
  if (content_length_ && *content_length_ > limit) return too_large();
  while (buffer_.size() > 0 && !parser_->is_done()) {
    beast::error_code ec;
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    body_wire_bytes_ += used;
    if (ec == http::error::need_more) break;
    if (ec) {
      body_status_ = BodyStatus::kMalformed;
      return Step::kFailed;
    }
    if (body().size() > limit) return too_large();
    if (used == 0) break;
  }
  if (body().size() > limit) return too_large();
  if (!parser_->is_done()) return Step::kNeedMore;
  // Trailer fields would be merged into the header after the checks that read it: refused.
  const auto fields =
      static_cast<std::size_t>(std::distance(parser_->get().begin(), parser_->get().end()));
  if (fields != fields_at_head_) {
    body_status_ = BodyStatus::kMalformed;
    return Step::kFailed;
  }
  body_done_ = true;
  return Step::kDone;
}

}  // namespace aigw::server
