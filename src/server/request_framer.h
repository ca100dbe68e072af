// The one place that decides where a request starts and ends on a connection (request
// smuggling is a disagreement about exactly that). Pure bytes in, decisions out, no I/O: the
// server feeds it from the socket, the fuzzer (fuzz/http_request_fuzz.cc) from memory.
//
// The head is parsed only once it arrived whole (up to the blank line), after a scan of the
// raw bytes (bare CR or LF, NUL, obs-fold are refused), then the framing is checked on the
// parsed fields: Transfer-Encoding must be exactly `chunked` on one line and never with
// Content-Length, Content-Length one plain number on one line. Anything else is refused and
// the connection is closed by the server, so no byte of it is read as a second request.
//
// The head is read here (read_head: the request line and the field lines, by the grammar of
// RFC 9112, as strictly as Beast's parser), and so is a Content-Length body. A chunked body is
// decoded by Beast's parser, given the same head: both must accept it. The fuzzer holds the
// hand-read head against Beast's reading of the same bytes.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/request_head.h"

namespace aigw::server {

namespace http = boost::beast::http;

// Something the server found wrong before the handler could read the request.
enum class RequestProblem {
  kNone,
  kHeadersTooLarge,    // 431
  kMalformed,          // 400: not HTTP/1.x, or framing that could be read two ways
  kUnsupportedCoding,  // 501: a Transfer-Encoding other than chunked
  kTimeout,            // 408: the head did not arrive within request_timeout
};

// What reading the body gave.
enum class BodyStatus {
  kOk,
  kTooLarge,   // over the limit (a Content-Length over it is refused unread)
  kTimeout,    // not received within request_timeout
  kMalformed,  // bad chunked framing, or trailer fields
  kClosed,     // the client went away before the body was in
};

class RequestFramer {
 public:
  enum class Step { kNeedMore, kDone, kFailed };

  explicit RequestFramer(std::uint64_t header_limit);

  // The connection's input: the I/O layer appends what it reads (prepare/commit).
  boost::beast::flat_buffer& buffer() { return buffer_; }

  // Starts the next request on the connection; bytes already buffered are kept (pipelining).
  void start();

  // Parses the head from the buffered bytes only. kDone: header() is ready; kFailed:
  // problem() and detail() say why.
  Step parse_head();
  // After a timeout or EOF with the head incomplete: parses what is there, so the request line
  // (if it arrived) can choose the error's format.
  void salvage_head();
  // Moves the parsed head out (after kDone or salvage_head()).
  RequestHead take_header();

  bool head_done() const { return head_done_; }
  RequestProblem problem() const { return problem_; }
  const std::string& detail() const { return detail_; }
  std::uint64_t head_bytes() const { return head_bytes_; }
  // The declared Content-Length (after a parse_head kDone), if any.
  std::optional<std::uint64_t> content_length() const { return content_length_; }
  bool chunked() const { return chunked_; }
  bool expects_continue() const { return expects_continue_; }
  bool body_done() const { return body_done_; }
  // Body bytes taken off the wire so far (chunk framing included).
  std::uint64_t body_wire_bytes() const { return body_wire_bytes_; }

  // Parses the body from the buffered bytes only, at most `limit` bytes of content. kFailed:
  // body_status() says why (kTooLarge, kMalformed).
  Step parse_body(std::uint64_t limit);
  BodyStatus body_status() const { return body_status_; }
  // The body read so far (all of it after parse_body kDone).
  std::string& body() { return chunked_ ? parser_->get().body() : sized_body_; }

 private:
  Step fail(RequestProblem problem, std::string detail);
  Step scan_head();
  Step read_head(std::string_view head);
  Step read_field(std::string_view line);
  Step check_framing();
  Step start_chunked_body();
  Step take_sized_body();
  boost::asio::const_buffer net_buffer(std::size_t n) const;  // the first n buffered bytes

  std::uint64_t header_limit_;
  boost::beast::flat_buffer buffer_;
  RequestHead head_;        // read here
  std::string sized_body_;  // a Content-Length body
  // Beast's parser: for a chunked body (it reads the head again), and for what arrived of a
  // head that never completed (salvage_head).
  std::optional<http::request_parser<http::string_body>> parser_;
  // Head scan state: bytes checked so far, and where the current line starts.
  std::size_t scanned_ = 0;
  std::size_t line_start_ = 0;
  std::size_t head_end_ = 0;  // one past the blank line, once found
  bool head_done_ = false;
  RequestProblem problem_ = RequestProblem::kNone;
  std::string detail_;
  std::uint64_t head_bytes_ = 0;
  std::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool expects_continue_ = false;
  bool body_done_ = false;
  BodyStatus body_status_ = BodyStatus::kOk;
  std::uint64_t body_wire_bytes_ = 0;
  std::size_t fields_at_head_ = 0;  // more after the body: trailer fields
};

}  // namespace aigw::server
