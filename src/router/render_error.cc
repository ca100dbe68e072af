#include "router/render_error.h"

#include <boost/json.hpp>

#include "translate/error_body.h"

namespace aigw::router {

RenderedError render_error(ErrorStyle style, const ApiError& error) {
  RenderedError out;
  out.status = error.status;
  out.body = error.literal_body ? *error.literal_body
                                : boost::json::serialize(translate::error_body(style, error));
  out.headers = error.headers;
  if (error.retry_after)
    out.headers.emplace_back("Retry-After", std::to_string(*error.retry_after));
  return out;
}

std::string render_stream_error(ErrorStyle style, const ApiError& error) {
  return translate::error_event(style, error);
}

}  // namespace aigw::router
