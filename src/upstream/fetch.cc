#include "upstream/fetch.h"

#include <boost/asio.hpp>
#include <boost/url/parse.hpp>

#include "core/text.h"

namespace aigw::upstream {

net::awaitable<FetchResult> fetch(UpstreamClient& client, const FetchRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  FetchResult result;
  auto url = boost::urls::parse_absolute_uri(request.url);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
    result.failure =
        UpstreamFailure{UpstreamFailure::Kind::kProtocol, "not an http(s) URL: " + request.url};
    co_return result;
  }
  UpstreamRequest up;
  up.target.tls = url->scheme() == "https";
  up.target.host = url->host();
  up.target.port = url->has_port() ? std::string(url->port().data(), url->port().size())
                                   : (up.target.tls ? "443" : "80");
  const auto path = url->encoded_target();
  up.target.target = path.empty() ? "/" : std::string(path.data(), path.size());
  const auto host_and_port = url->encoded_host_and_port();
  up.target.host_header.assign(host_and_port.data(), host_and_port.size());
  up.method = request.method;
  up.headers.set_all(request.headers);
  up.body = request.body;
  up.connect_timeout = request.timeout;
  up.read_timeout = request.timeout;

  auto outcome = co_await client.send(std::move(up));
  if (!outcome.response) {
    result.failure = outcome.failure;
    co_return result;
  }
  result.status = outcome.response->status();
  outcome.response->head().for_each_field([&](std::string_view name, std::string_view value) {
    result.headers.emplace_back(lower_copy(name), std::string(value));
  });
  if (!co_await outcome.response->read_all(result.body, request.max_body_bytes)) {
    result.failure = outcome.response->failure();
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  co_return result;
}

FetchResult fetch_blocking(const UpstreamConfig& config, const FetchRequest& request) {
  net::io_context io;
  UpstreamClient client(io, make_tls_context(config), config);
  FetchResult result;
  net::co_spawn(io, fetch(client, request), [&](std::exception_ptr e, FetchResult r) {
    if (e) std::rethrow_exception(e);
    result = std::move(r);
  });
  io.run();
  return result;
}

}  // namespace aigw::upstream
