#include "server/request_framer.h"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "core/text.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

std::string message_of(http::error e) { return http::make_error_code(e).message(); }

// tchar (RFC 9110 5.6.2): the bytes of a method and of a field name.
constexpr std::array<bool, 256> kTokenByte = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 32] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

std::size_t token_length(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && kTokenByte[static_cast<unsigned char>(s[i])]) ++i;
  return i;
}

// A request-target's bytes: visible ASCII and obs-text (no space, control or DEL).
bool is_target_byte(unsigned char c) { return c > 0x20 && c != 0x7F; }

// A field value's bytes: VCHAR, obs-text, SP and HTAB (no other control, no DEL). Sixteen at
// a time (SSE2, every x86-64) while none is below 0x20 or DEL: a bearer token is most of a head.
bool is_field_value(std::string_view v) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F);
  for (; i + 16 <= v.size(); i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v.data() + i));
    // (signed: obs-text counts as "below" too, and is then looked at by the loop below)
    const __m128i odd = _mm_or_si128(_mm_cmplt_epi8(block, space), _mm_cmpeq_epi8(block, del));
    if (_mm_movemask_epi8(odd) != 0) break;
  }
#endif
  for (; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

// A #token list (RFC 9110 5.6.1) as Connection carries: tokens, commas, blanks, empty elements.
bool is_token_list(std::string_view v) {
  bool tokens = true;
  for_each_list_element(v, [&](std::string_view element) {
    tokens = token_length(element) == element.size();
    return tokens;
  });
  return tokens;
}

}  // namespace

RequestFramer::RequestFramer(std::uint64_t header_limit) : header_limit_(header_limit) { start(); }

void RequestFramer::start() {
  head_ = {};
  sized_body_.clear();
  parser_.reset();
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

  const auto* d = static_cast<const char*>(buffer_.data().data());
  const Step read = read_head(std::string_view(d, head_end_));
  if (read != Step::kDone) return read;
  const Step framing = check_framing();
  if (framing != Step::kDone) return framing;
  // (check_framing let a Transfer-Encoding through only as exactly "chunked")
  chunked_ = head_.field("transfer-encoding").has_value();
  if (chunked_) {
    if (const Step beast = start_chunked_body(); beast != Step::kDone) return beast;
  }
  buffer_.consume(head_end_);
  head_bytes_ = head_end_;
  head_done_ = true;
  expects_continue_ =
      head_.version() == 11 && ascii_iequals(head_.value_or_empty("expect"), "100-continue");
  body_done_ = chunked_ ? parser_->is_done() : content_length_.value_or(0) == 0;
  return Step::kDone;
}

// The request line and the field lines of a head the scan found whole and clean (every line
// ends in CRLF, no NUL, no obs-fold), into head_.
RequestFramer::Step RequestFramer::read_head(std::string_view head) {
  const auto line_end = [&](std::size_t from) {
    return static_cast<std::size_t>(
        static_cast<const char*>(std::memchr(head.data() + from, '\r', head.size() - from)) -
        head.data());
  };
  // request-line = method SP request-target SP HTTP-version
  const std::size_t first_end = line_end(0);
  const std::string_view line = head.substr(0, first_end);
  const std::size_t method = token_length(line);
  if (method == 0 || method == line.size() || line[method] != ' ')
    return fail(RequestProblem::kMalformed, message_of(http::error::bad_method));
  std::size_t target_end = method + 1;
  while (target_end < line.size() && is_target_byte(static_cast<unsigned char>(line[target_end])))
    ++target_end;
  if (target_end == method + 1 || target_end == line.size() || line[target_end] != ' ')
    return fail(RequestProblem::kMalformed, message_of(http::error::bad_target));
  const std::string_view version = line.substr(target_end + 1);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (version.size() != 8 || !version.starts_with("HTTP/") || !digit(version[5]) ||
      version[6] != '.' || !digit(version[7]))
    return fail(RequestProblem::kMalformed, message_of(http::error::bad_version));
  const int number = (version[5] - '0') * 10 + (version[7] - '0');
  if (number != 10 && number != 11)
    return fail(RequestProblem::kMalformed, message_of(http::error::bad_version));
  head_.set_request_line(line.substr(0, method), line.substr(method + 1, target_end - method - 1),
                         number, head.size());
  // field-line = field-name ":" OWS field-value OWS; the head ends with an empty line
  for (std::size_t at = first_end + 2; at + 2 < head.size();) {
    const std::size_t end = line_end(at);
    if (const Step field = read_field(head.substr(at, end - at)); field != Step::kDone)
      return field;
    at = end + 2;
  }
  return Step::kDone;
}

RequestFramer::Step RequestFramer::read_field(std::string_view line) {
  const std::size_t name = token_length(line);
  if (name == 0 || name == line.size() || line[name] != ':')
    return fail(RequestProblem::kMalformed, message_of(http::error::bad_field));
  const std::string_view value = trim_ows(line.substr(name + 1));
  if (!is_field_value(value))
    return fail(RequestProblem::kMalformed, message_of(http::error::bad_value));
  const std::string_view field_name = line.substr(0, name);
  if ((ascii_iequals(field_name, "connection") || ascii_iequals(field_name, "proxy-connection")) &&
      !is_token_list(value))
    return fail(RequestProblem::kMalformed, message_of(http::error::bad_value));
  if (ascii_iequals(field_name, "content-length") && all_digits(value)) {
    // (any other spelling is refused by check_framing)
    std::uint64_t length = 0;
    for (const char c : value) {
      if (length > (UINT64_MAX - 9) / 10)
        return fail(RequestProblem::kMalformed, message_of(http::error::bad_content_length));
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    content_length_ = length;
  }
  head_.add_field(field_name, value);
  return Step::kDone;
}

// A chunked body is Beast's to decode: its parser reads the same head (and must accept it too).
RequestFramer::Step RequestFramer::start_chunked_body() {
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<std::uint64_t>(header_limit_ + 4, UINT32_MAX)));
  parser_->body_limit(boost::none);  // the caller's limit (parse_body) is checked here
  beast::error_code ec;
  const std::size_t used = parser_->put(net_buffer(head_end_), ec);
  if (ec) return fail(RequestProblem::kMalformed, ec.message());
  if (!parser_->is_header_done() || used != head_end_ || !parser_->chunked())
    return fail(RequestProblem::kMalformed, "unreadable request head");
  fields_at_head_ =
      static_cast<std::size_t>(std::distance(parser_->get().begin(), parser_->get().end()));
  return Step::kDone;
}

boost::asio::const_buffer RequestFramer::net_buffer(std::size_t n) const {
  return {buffer_.data().data(), n};
}

// The framing rules, checked on every request whatever Beast accepted: the body's length must
// have exactly one reading.
RequestFramer::Step RequestFramer::check_framing() {
  if (head_.version() != 10 && head_.version() != 11) {
    return fail(RequestProblem::kMalformed, "HTTP version not supported");
  }
  int te_lines = 0, cl_lines = 0, host_lines = 0;
  std::string_view te, cl;
  for (const auto [name, value] : head_) {
    if (ascii_iequals(name, "transfer-encoding")) {
      ++te_lines;
      te = value;
    } else if (ascii_iequals(name, "content-length")) {
      ++cl_lines;
      cl = value;
    } else if (ascii_iequals(name, "host")) {
      ++host_lines;
    }
  }
  if (host_lines > 1) return fail(RequestProblem::kMalformed, "Host sent more than once");
  if (te_lines > 0) {
    if (cl_lines > 0)
      return fail(RequestProblem::kMalformed, "Transfer-Encoding together with Content-Length");
    if (head_.version() == 10)
      return fail(RequestProblem::kMalformed, "Transfer-Encoding in an HTTP/1.0 request");
    if (te_lines > 1)
      return fail(RequestProblem::kMalformed, "Transfer-Encoding sent more than once");
    if (!ascii_iequals(trim_ows(te), "chunked")) {
      // Any coding but chunked is one we do not implement (501); chunked twice, empty
      // elements and the like are malformed (400).
      bool only_chunked = true;
      for_each_list_element(te, [&](std::string_view element) {
        only_chunked = ascii_iequals(element, "chunked");
        return only_chunked;
      });
      if (!only_chunked) return fail(RequestProblem::kUnsupportedCoding, "");
      return fail(RequestProblem::kMalformed, "Transfer-Encoding must be exactly chunked");
    }
  }
  if (cl_lines > 1) return fail(RequestProblem::kMalformed, "Content-Length sent more than once");
  if (cl_lines == 1 && !all_digits(trim_ows(cl))) {
    return fail(RequestProblem::kMalformed, "Content-Length must be one decimal number");
  }
  return Step::kDone;
}

void RequestFramer::salvage_head() {
  // A head read whole (head_end_ is set just before) keeps what read_head got of it.
  if (head_end_ != 0 || buffer_.size() == 0) return;
  http::request_parser<http::string_body> parser;
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::uint64_t>(header_limit_ + 4, UINT32_MAX)));
  beast::error_code ec;
  parser.put(buffer_.data(), ec);  // whatever it makes of the request line is enough
  const auto& partial = parser.get();
  head_.set_request_line(view(partial.method_string()), view(partial.target()), partial.version());
  for (const auto& f : partial) head_.add_field(view(f.name_string()), view(f.value()));
}

RequestHead RequestFramer::take_header() { return std::move(head_); }

RequestFramer::Step RequestFramer::parse_body(std::uint64_t limit) {
  if (body_done_) return Step::kDone;
  if (!head_done_ || body_status_ != BodyStatus::kOk) return Step::kFailed;
  auto too_large = [&] {
    body_status_ = BodyStatus::kTooLarge;
    return Step::kFailed;
  };
  if (content_length_ && *content_length_ > limit) return too_large();
  if (!chunked_) return take_sized_body();
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

// A Content-Length body: what is buffered, up to the length.
RequestFramer::Step RequestFramer::take_sized_body() {
  std::string& body = sized_body_;
  const std::uint64_t length = content_length_.value_or(0);
  if (body.empty()) body.reserve(static_cast<std::size_t>(length));
  const auto n = static_cast<std::size_t>(
      std::min<std::uint64_t>(length - body.size(), static_cast<std::uint64_t>(buffer_.size())));
  body.append(static_cast<const char*>(buffer_.data().data()), n);
  buffer_.consume(n);
  body_wire_bytes_ += n;
  if (body.size() < length) return Step::kNeedMore;
  body_done_ = true;
  return Step::kDone;
}

}  // namespace aigw::server
