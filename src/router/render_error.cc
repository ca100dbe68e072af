#include "router/render_error.h"

#include <boost/json.hpp>

namespace aigw::router {
namespace {

namespace json = boost::json;

// Anthropic's documented error types, by status.
std::string anthropic_type(const ApiError& e) {
  switch (e.status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    default: return e.status >= 500 ? "api_error" : "invalid_request_error";
  }
}

json::object body_object(ErrorStyle style, const ApiError& e) {
  switch (style) {
    case ErrorStyle::kAnthropic:
      return {{"type", "error"},
              {"error", {{"type", anthropic_type(e)}, {"message", e.message}}}};
    case ErrorStyle::kOpenAi: {
      json::object err{{"message", e.message},
                       {"type", e.type.empty() ? "api_error" : e.type},
                       {"param", nullptr},
                       {"code", e.type.empty() ? json::value(nullptr) : json::value(e.type)}};
      return {{"error", std::move(err)}};
    }
    case ErrorStyle::kPlain: break;
  }
  return {{"error", e.message}};
}

}  // namespace

RenderedError render_error(ErrorStyle style, const ApiError& error) {
  RenderedError out;
  out.status = error.status;
  out.body = error.literal_body ? *error.literal_body : json::serialize(body_object(style, error));
  out.headers = error.headers;
  if (error.retry_after) out.headers.emplace_back("Retry-After", std::to_string(*error.retry_after));
  return out;
}

std::string render_stream_error(ErrorStyle style, const ApiError& error) {
  const std::string data = json::serialize(body_object(style, error));
  if (style == ErrorStyle::kAnthropic) return "event: error\ndata: " + data + "\n\n";
  return "data: " + data + "\n\n";
}

}  // namespace aigw::router
