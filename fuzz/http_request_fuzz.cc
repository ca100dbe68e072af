// libFuzzer target: raw bytes as a client connection into the server's reader
// (server/request_framer.h), fed the way the socket would: in pieces. Checks, besides no
// crash, leak or undefined behaviour:
//  - the framing is the same whatever the pieces (the whole input at once, and in pieces of
//    1..64 bytes, give the same requests, bodies and refusals): a request boundary must not
//    depend on how TCP cut the bytes;
//  - an accepted chunked request has exactly one `Transfer-Encoding: chunked` and no
//    Content-Length; an accepted body is within the limit and as long as its Content-Length;
//  - a head the framer reads (by hand) is one Beast's parser accepts and reads the same.
// The same bytes are then read as a handler that answers without reading bodies would
// (the server drops a body only when it is buffered whole).
#include <algorithm>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"
#include "server/request_framer.h"

namespace {

namespace server = aigw::server;
namespace http = boost::beast::http;
using Step = server::RequestFramer::Step;

constexpr std::uint64_t kHeaderLimit = 1024;
constexpr std::uint64_t kBodyLimit = 512;

// Hands out the input in pieces; `piece` 0 means all at once.
class Feed {
 public:
  Feed(std::string_view input, std::uint32_t seed, bool whole)
      : input_(input), state_(seed | 1), whole_(whole) {}
  bool more(server::RequestFramer& framer) {
    if (input_.empty()) return false;
    std::size_t n = input_.size();
    if (!whole_) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 17;
      state_ ^= state_ << 5;
      n = std::min<std::size_t>(n, 1 + state_ % 64);
    }
    auto buf = framer.buffer().prepare(n);
    std::memcpy(buf.data(), input_.data(), n);
    framer.buffer().commit(n);
    input_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view input_;
  std::uint32_t state_;
  bool whole_;
};

void check_head(const server::RequestHead& head, const server::RequestFramer& framer) {
  int te = 0, cl = 0;
  for (const auto [name, value] : head) {
    if (boost::beast::iequals(name, "transfer-encoding")) ++te;
    if (boost::beast::iequals(name, "content-length")) ++cl;
  }
  if (framer.chunked()) {
    if (te != 1 || cl != 0) std::abort();
    std::string_view v = head.value_or_empty("Transfer-Encoding");
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (!boost::beast::iequals(v, "chunked")) std::abort();
  } else if (te != 0 || cl > 1) {
    std::abort();
  }
}

// One connection's worth of requests, as the server reads them with a handler that reads
// every body; returns a trace to compare between feeds.
std::string read_connection(std::string_view input, std::uint32_t seed, bool whole) {
  server::RequestFramer framer(kHeaderLimit);
  Feed feed(input, seed, whole);
  std::string trace;
  for (int request = 0; request < 64; ++request) {
    framer.start();
    Step step = framer.parse_head();
    while (step == Step::kNeedMore && feed.more(framer)) step = framer.parse_head();
    if (step != Step::kDone) {
      framer.salvage_head();
      const auto partial = framer.take_header();
      (void)partial.method();
      trace += step == Step::kNeedMore
                   ? "[incomplete]"
                   : "[refused " + std::to_string(static_cast<int>(framer.problem())) + "]";
      return trace;
    }
    const auto head = framer.take_header();
    check_head(head, framer);
    trace += std::string(head.method()) + " " + std::string(head.target()) + "|";
    step = framer.parse_body(kBodyLimit);
    while (step == Step::kNeedMore && feed.more(framer)) step = framer.parse_body(kBodyLimit);
    if (step != Step::kDone) {
      trace +=
          step == Step::kNeedMore
              ? "[body incomplete]"
              : "[body refused " + std::to_string(static_cast<int>(framer.body_status())) + "]";
      return trace;
    }
    const std::string& body = framer.body();
    if (body.size() > kBodyLimit) std::abort();
    if (framer.content_length() && *framer.content_length() != body.size()) std::abort();
    trace += body + "|";
  }
  return trace;
}

// The same connection with a handler that never asks for the body: a body is dropped only when
// buffered whole, else the connection ends.
void read_without_bodies(std::string_view input, std::uint32_t seed) {
  server::RequestFramer framer(kHeaderLimit);
  Feed feed(input, seed, false);
  for (int request = 0; request < 64; ++request) {
    framer.start();
    Step step = framer.parse_head();
    while (step == Step::kNeedMore && feed.more(framer)) step = framer.parse_head();
    if (step != Step::kDone) return;
    (void)framer.take_header();
    if (framer.parse_body(kBodyLimit) != Step::kDone) return;
    framer.body().clear();
  }
}

// The head the framer reads by hand must be one Beast's parser reads the same: accepted, with
// the same method, target, version and fields in the same order. (The first request only:
// what follows it depends on the body, which the read above checks.)
void compare_with_beast(std::string_view input) {
  if (input.empty()) return;
  server::RequestFramer framer(kHeaderLimit);
  auto buf = framer.buffer().prepare(input.size());
  std::memcpy(buf.data(), input.data(), input.size());
  framer.buffer().commit(input.size());
  if (framer.parse_head() != Step::kDone) return;
  const auto ours = framer.take_header();
  while (input.starts_with("\r\n")) input.remove_prefix(2);  // as the framer skips them
  http::request_parser<http::string_body> beast;
  beast.header_limit(kHeaderLimit + 4);
  beast.body_limit(boost::none);
  boost::beast::error_code ec;
  beast.put(boost::asio::const_buffer(input.data(), input.size()), ec);
  if (ec && ec != http::error::need_more) std::abort();  // read by hand, refused by Beast
  if (!beast.is_header_done()) std::abort();
  const auto& theirs = beast.get();
  if (ours.method() != theirs.method_string() || ours.target() != theirs.target() ||
      ours.version() != static_cast<int>(theirs.version()))
    std::abort();
  // The same lines: per name, the same values in the same order. (Beast files a repeated name
  // next to its first line; the framer keeps the order they came in.)
  std::map<std::string, std::vector<std::string>> our_lines, their_lines;
  for (const auto [name, value] : ours) our_lines[aigw::lower_copy(name)].emplace_back(value);
  for (const auto& field : theirs)
    their_lines[aigw::lower_copy(field.name_string())].emplace_back(field.value());
  if (our_lines != their_lines) std::abort();
  // Both must agree on whether the connection stays open after this request (the parser's
  // reading: every Connection line, as the framer's).
  if (ours.keep_alive() != beast.keep_alive()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::uint32_t seed = 2166136261u;
  for (std::size_t i = 0; i < std::min<std::size_t>(size, 16); ++i)
    seed = (seed ^ data[i]) * 16777619u;
  const std::string whole = read_connection(input, seed, true);
  const std::string pieces = read_connection(input, seed, false);
  if (whole != pieces) std::abort();  // the framing depended on how the bytes were cut
  read_without_bodies(input, seed);
  compare_with_beast(input);
  return 0;
}
