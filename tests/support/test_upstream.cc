#include "support/test_upstream.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdlib>
#include <list>
#include <stdexcept>

#include "support/gateway_process.h"
#include "core/text.h"

namespace aigw::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;


}  // namespace

struct FakeUpstream::Impl {
  UpstreamHandler handler;
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::unique_ptr<net::ssl::context> tls;
  std::thread accept_thread;
  mutable std::mutex mutex;
  std::condition_variable stopped_cv;
  bool stopping = false;
  std::vector<RecordedRequest> requests;
  std::list<std::thread> connection_threads;
  std::list<tcp::socket*> open_sockets;

  template <typename Stream>
  void serve(Stream& stream, tcp::socket& socket);
  void serve_connection(tcp::socket socket);
};

namespace {

template <typename Stream>
class StreamExchange final : public Exchange {
 public:
  StreamExchange(Stream& s, FakeUpstream::Impl& impl) : stream_(s), impl_(impl) {}
  void respond(int status, const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) override {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    for (const auto& [n, v] : headers) res.set(n, v);
    res.body() = body;
    res.prepare_payload();
    beast::error_code ec;
    http::write(stream_, res, ec);
    done_ = true;
  }
  void start_stream(int status) override {
    http::response<http::empty_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "text/event-stream");
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(stream_, sr, ec);
  }
  void chunk(const std::string& data) override {
    beast::error_code ec;
    net::write(stream_, http::make_chunk(net::buffer(data)), ec);
  }
  void end_stream() override {
    beast::error_code ec;
    net::write(stream_, http::make_chunk_last(), ec);
    done_ = true;
  }
  void drop() override { dropped_ = true; }
  void hang() override {
    std::unique_lock lock(impl_.mutex);
    impl_.stopped_cv.wait(lock, [&] { return impl_.stopping; });
    dropped_ = true;
  }
  bool done() const { return done_; }
  bool dropped() const { return dropped_; }

 private:
  Stream& stream_;
  FakeUpstream::Impl& impl_;
  bool done_ = false;
  bool dropped_ = false;
};

}  // namespace

template <typename Stream>
void FakeUpstream::Impl::serve(Stream& stream, tcp::socket& socket) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    RecordedRequest rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    for (const auto& f : req) rec.headers[lower_copy(f.name_string())] = std::string(f.value());
    rec.body = req.body();
    {
      std::lock_guard lock(mutex);
      requests.push_back(rec);
    }
    StreamExchange<Stream> exchange(stream, *this);
    handler(rec, exchange);
    if (exchange.dropped() || !exchange.done() || !req.keep_alive()) {
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      return;
    }
  }
}

void FakeUpstream::Impl::serve_connection(tcp::socket socket) {
  {
    std::lock_guard lock(mutex);
    open_sockets.push_back(&socket);
  }
  if (tls) {
    beast::ssl_stream<tcp::socket&> stream(socket, *tls);
    beast::error_code ec;
    stream.handshake(net::ssl::stream_base::server, ec);
    if (!ec) serve(stream, socket);
  } else {
    serve(socket, socket);
  }
  std::lock_guard lock(mutex);
  open_sockets.remove(&socket);
}

FakeUpstream::FakeUpstream(UpstreamHandler handler, const TestCertificates* certs) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  if (certs) {
    impl_->tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(certs->server_cert);
    impl_->tls->use_private_key_file(certs->server_key, net::ssl::context::pem);
  }
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(impl_->io);
      impl_->acceptor.accept(socket, ec);
      if (ec) return;
      ++accepted_;
      std::lock_guard lock(impl_->mutex);
      if (impl_->stopping) return;
      impl_->connection_threads.emplace_back([impl = impl_.get(), s = std::move(socket)]() mutable {
        impl->serve_connection(std::move(s));
      });
    }
  });
}

FakeUpstream::~FakeUpstream() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    for (auto* s : impl_->open_sockets) {
      beast::error_code ec;
      s->shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  impl_->stopped_cv.notify_all();
  beast::error_code ec;
  impl_->acceptor.cancel(ec);
  // Unblock accept() with a connection of our own, then close.
  {
    tcp::socket poke(impl_->io);
    poke.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
  }
  impl_->accept_thread.join();
  impl_->acceptor.close(ec);
  for (auto& t : impl_->connection_threads) t.join();
}

std::string FakeUpstream::base_url() const {
  return (impl_->tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) + "/v1";
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::uint16_t closed_port() {
  net::io_context io;
  tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

TestCertificates make_test_certificates(const std::string& dir) {
  TestCertificates c{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  write_file(dir + "/san.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  const std::string cmd =
      "cd '" + dir + "' && "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=aigw test CA' && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
      "-extfile san.cnf";
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("openssl failed: " + cmd);
  return c;
}

}  // namespace aigw::testing
