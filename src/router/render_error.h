// Renders an ApiError in the caller's API format (OpenAI, Anthropic or plain JSON), as a whole
// response body or as an SSE event for a stream that already started.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/api_error.h"
#include "core/endpoint.h"

namespace aigw::router {

struct RenderedError {
  int status = 500;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

RenderedError render_error(ErrorStyle style, const ApiError& error);
// The bytes of one SSE event that tells a streaming client the stream failed.
std::string render_stream_error(ErrorStyle style, const ApiError& error);

}  // namespace aigw::router
