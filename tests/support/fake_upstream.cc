// The fake provider: an accept loop and one coroutine per connection on a private io_context
// thread; each request is recorded, then answered as the test's Reply says.
#include "support/fake_upstream.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace aigw::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool has_field(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return iequals(h.first, name); });
}

// Waits `d` on the connection's timer; false when the wait was cancelled (shutting down).
net::awaitable<bool> wait_on_timer(net::steady_timer& timer, std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return true;
  timer.expires_after(d);
  auto [ec] = co_await timer.async_wait(kTuple);
  co_return !ec;
}

// Waits until `gate` opens (none: at once); false when the wait was cancelled. (The gate is
// taken by value and the loop has no condition: GCC 12 built the `while (gate && …)` form with
// a const& parameter into a coroutine that trapped on entry, SIGILL.)
net::awaitable<bool> wait_for_gate(net::steady_timer& timer, std::shared_ptr<Gate> gate) {
  for (;;) {
    if (!gate || gate->is_open()) co_return true;
    const bool waited = co_await wait_on_timer(timer, std::chrono::milliseconds(2));
    if (!waited) co_return false;
  }
}

}  // namespace

std::string UpstreamRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return "";
}

bool UpstreamRequest::has_header(std::string_view name) const { return has_field(headers, name); }

std::string UpstreamRequest::path() const { return target.substr(0, target.find('?')); }

std::string UpstreamRequest::query() const {
  const auto q = target.find('?');
  return q == std::string::npos ? "" : target.substr(q + 1);
}

Reply Reply::json(int status, std::string body, Headers headers) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  if (!has_field(headers, "content-type")) headers.emplace_back("Content-Type", "application/json");
  r.headers = std::move(headers);
  return r;
}

Reply Reply::sse(std::vector<std::string> events, std::chrono::milliseconds gap, int status) {
  Reply r;
  r.kind = Kind::kStream;
  r.status = status;
  r.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    r.chunks.push_back(
        {i == 0 ? std::chrono::milliseconds(0) : gap, std::move(events[i]), nullptr});
  }
  return r;
}

Reply Reply::hang() {
  Reply r;
  r.kind = Kind::kHang;
  return r;
}

Reply Reply::close_before_answer() {
  Reply r;
  r.kind = Kind::kCloseBeforeAnswer;
  return r;
}

Reply Reply::broken_sse(std::vector<std::string> events, std::chrono::milliseconds gap) {
  Reply r = sse(std::move(events), gap);
  r.close_mid_stream = true;
  return r;
}

struct FakeUpstream::Impl {
  // What a connection's coroutine leaves for the shutdown to close.
  struct Connection {
    tcp::socket* socket = nullptr;
    net::steady_timer* timer = nullptr;
  };

  UpstreamHandler handler;
  std::optional<ssl::context> tls;
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<UpstreamExchange> exchanges;
  std::size_t accepted = 0;
  std::map<std::size_t, Connection> live;  // by connection number
  bool accepting = true;
  // The io_context goes last so that it (and every coroutine frame it still holds) is destroyed
  // before the members above that those frames use.
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;

  net::awaitable<void> accept_loop();
  net::awaitable<void> serve_connection(tcp::socket socket, std::size_t id);
  template <typename Stream>
  net::awaitable<void> serve_requests(Stream& stream, tcp::socket& socket, net::steady_timer& timer,
                                      std::size_t id, const std::string& sni);
  std::size_t record(UpstreamRequest request);
  void last_write(std::size_t index);
  void finish(std::size_t index);
  void close_everything();
};

std::size_t FakeUpstream::Impl::record(UpstreamRequest request) {
  std::lock_guard lock(mutex);
  exchanges.push_back(UpstreamExchange{std::move(request), {}, false});
  changed.notify_all();
  return exchanges.size() - 1;
}

void FakeUpstream::Impl::last_write(std::size_t index) {
  std::lock_guard lock(mutex);
  exchanges[index].last_write_at = Clock::now();
}

void FakeUpstream::Impl::finish(std::size_t index) {
  std::lock_guard lock(mutex);
  if (exchanges[index].last_write_at == Clock::time_point{})
    exchanges[index].last_write_at = Clock::now();
  exchanges[index].finished = true;
  changed.notify_all();
}

net::awaitable<void> FakeUpstream::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) co_return;
    std::size_t id = 0;
    {
      std::lock_guard lock(mutex);
      if (!accepting) co_return;
      id = ++accepted;
    }
    net::co_spawn(io, serve_connection(std::move(socket), id), net::detached);
  }
}

net::awaitable<void> FakeUpstream::Impl::serve_connection(tcp::socket socket, std::size_t id) {
  net::steady_timer timer(io);
  beast::error_code ec;
  {
    std::lock_guard lock(mutex);
    if (!accepting) co_return;  // the test is ending
    live[id] = Connection{&socket, &timer};
  }
  socket.set_option(tcp::no_delay(true), ec);
  if (tls) {
    ssl::stream<tcp::socket&> stream(socket, *tls);
    auto [hs] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
    if (!hs) {
      const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
      co_await serve_requests(stream, socket, timer, id, name ? name : "");
    }
  } else {
    co_await serve_requests(socket, socket, timer, id, "");
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
  std::lock_guard lock(mutex);
  live.erase(id);
  changed.notify_all();
}

template <typename Stream>
net::awaitable<void> FakeUpstream::Impl::serve_requests(Stream& stream, tcp::socket& socket,
                                                        net::steady_timer& timer, std::size_t id,
                                                        const std::string& sni) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(1 << 20);
    parser.body_limit(std::uint64_t{256} << 20);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (read_ec) co_return;
    const auto& req = parser.get();
    UpstreamRequest rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    for (const auto& f : req)
      rec.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    rec.body = req.body();
    rec.sni = sni;
    rec.connection = id;
    rec.received_at = Clock::now();
    const bool client_keep_alive = req.keep_alive();
    Reply reply;
    try {
      reply = handler(rec);
    } catch (const std::exception& e) {
      reply =
          Reply::json(500, std::string(R"({"error":{"message":"fake upstream handler threw: )") +
                               e.what() + "\"}}");
    }
    const std::size_t index = record(std::move(rec));

    if (!co_await wait_on_timer(timer, reply.delay)) co_return;
    if (!co_await wait_for_gate(timer, reply.gate)) co_return;

    switch (reply.kind) {
      case Reply::Kind::kCloseBeforeAnswer:
        finish(index);
        co_return;
      case Reply::Kind::kHang: {
        // Keep reading (and ignoring) until the peer gives up or the test ends.
        char sink[1024];
        for (;;) {
          auto [ec, n] = co_await socket.async_read_some(net::buffer(sink), kTuple);
          if (ec) co_return;
        }
      }
      case Reply::Kind::kWhole: {
        http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
        for (const auto& [n, v] : reply.headers) res.insert(n, v);
        res.body() = reply.body;
        res.prepare_payload();
        const bool keep = client_keep_alive && !reply.close_after;
        res.keep_alive(keep);
        last_write(index);
        auto [ec, n] = co_await http::async_write(stream, res, kTuple);
        finish(index);
        if (ec || !keep || reply.drop_after) co_return;
        break;
      }
      case Reply::Kind::kStream: {
        http::response<http::empty_body> res{static_cast<http::status>(reply.status), 11};
        for (const auto& [n, v] : reply.headers) res.insert(n, v);
        if (!has_field(reply.headers, "content-type"))
          res.set(http::field::content_type, "text/event-stream");
        const bool keep = client_keep_alive && !reply.close_after && !reply.close_mid_stream;
        res.keep_alive(keep);
        res.chunked(true);
        http::response_serializer<http::empty_body> serializer{res};
        auto [hec, hn] = co_await http::async_write_header(stream, serializer, kTuple);
        if (hec) co_return;
        for (const auto& chunk : reply.chunks) {
          if (!co_await wait_on_timer(timer, chunk.delay)) co_return;
          if (!co_await wait_for_gate(timer, chunk.gate)) co_return;
          if (chunk.data.empty()) continue;  // an empty chunk would end the body
          last_write(index);
          auto [ec, n] =
              co_await net::async_write(stream, http::make_chunk(net::buffer(chunk.data)), kTuple);
          if (ec) co_return;
        }
        if (reply.close_mid_stream) {
          finish(index);
          co_return;
        }
        auto [ec, n] = co_await net::async_write(stream, http::make_chunk_last(), kTuple);
        finish(index);
        if (ec || !keep || reply.drop_after) co_return;
        break;
      }
    }
  }
}

void FakeUpstream::Impl::close_everything() {
  std::lock_guard lock(mutex);
  accepting = false;
  beast::error_code ec;
  acceptor.close(ec);
  for (auto& [id, c] : live) {
    c.timer->cancel();
    c.socket->shutdown(tcp::socket::shutdown_both, ec);
    c.socket->close(ec);
  }
  changed.notify_all();
}

FakeUpstream::FakeUpstream(UpstreamHandler handler, const TestCertificates* tls)
    : impl_(std::make_shared<Impl>()) {
  impl_->handler = std::move(handler);
  if (tls) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->server_cert);
    impl_->tls->use_private_key_file(tls->server_key, ssl::context::pem);
    // Accept any server name so the one the client sent is kept for SSL_get_servername.
    SSL_CTX_set_tlsext_servername_callback(
        impl_->tls->native_handle(), +[](SSL*, int*, void*) -> int { return SSL_TLSEXT_ERR_OK; });
  }
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FakeUpstream::~FakeUpstream() {
  // Close every socket on the io thread, let the coroutines see it and end, then stop.
  net::post(impl_->io, [impl = impl_.get()] { impl->close_everything(); });
  {
    std::unique_lock lock(impl_->mutex);
    impl_->changed.wait_for(lock, std::chrono::seconds(5),
                            [&] { return !impl_->accepting && impl_->live.empty(); });
  }
  impl_->io.stop();
  impl_->thread.join();
}

std::string FakeUpstream::base_url() const {
  return (impl_->tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) + "/v1";
}

std::vector<UpstreamRequest> FakeUpstream::requests() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<UpstreamRequest> out;
  for (const auto& e : impl_->exchanges) out.push_back(e.request);
  return out;
}

std::vector<UpstreamExchange> FakeUpstream::exchanges() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->exchanges;
}

std::size_t FakeUpstream::connections_accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

bool FakeUpstream::wait_for_finished(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] {
    if (impl_->exchanges.size() < n) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!impl_->exchanges[i].finished) return false;
    }
    return true;
  });
}

bool FakeUpstream::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->exchanges.size() >= n; });
}

std::uint16_t closed_port() {
  net::io_context io;
  tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

namespace {

// RAII for the OpenSSL objects the certificate maker uses.
struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using Cert = std::unique_ptr<X509, X509Deleter>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert new_certificate(EVP_PKEY* key, const std::string& common_name, long serial) {
  Cert cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 2L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  check(f != nullptr, "fopen");
  const bool ok = cert ? PEM_write_X509(f, cert) == 1
                       : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  check(ok, "PEM_write");
}

}  // namespace

TestCertificates make_test_certificates(const std::string& dir, const std::string& host_name) {
  std::filesystem::create_directories(dir);
  Pkey ca_key(EVP_EC_gen("P-256"));
  Pkey server_key(EVP_EC_gen("P-256"));
  check(ca_key && server_key, "EVP_EC_gen");

  Cert ca = new_certificate(ca_key.get(), "aigw test CA", 1);
  X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
  add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign (CA)");

  Cert server = new_certificate(server_key.get(), host_name, 2);
  X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get()));
  add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_extension(server.get(), ca.get(), NID_subject_alt_name,
                ("DNS:" + host_name + ",IP:127.0.0.1").c_str());
  add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(server.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign (server)");

  TestCertificates out{dir + "/test-ca.pem", dir + "/server.pem", dir + "/server.key"};
  write_pem(out.ca_cert, ca.get(), nullptr);
  write_pem(out.server_cert, server.get(), nullptr);
  write_pem(out.server_key, nullptr, server_key.get());
  return out;
}

}  // namespace aigw::testing
