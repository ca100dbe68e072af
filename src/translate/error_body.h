// The error bodies of each dialect, written in one place: the gateway's own errors
// (router/render_error), provider errors converted between dialects (errors.cc), the error
// event that ends a broken stream (the stream encoders), the admin API and the mock provider.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "core/api_error.h"
#include "core/endpoint.h"

namespace aigw::translate {

// OpenAI (chat, Responses, embeddings): {"error":{"message","type","param":null,"code"}}; an
// empty type is "api_error", an empty code null.
boost::json::object openai_error_body(std::string_view message, std::string_view type,
                                      std::string_view code = {});
// Anthropic: {"type":"error","error":{"type","message"}}; an empty type is "api_error".
boost::json::object anthropic_error_body(std::string_view type, std::string_view message);
// Anthropic's documented error type for an HTTP status.
std::string_view anthropic_error_type(int status);

// An ApiError as a caller of `style` reads it (kPlain: {"error": message}). OpenAI's code is
// the error's type; Anthropic's type follows the status.
boost::json::object error_body(ErrorStyle style, const ApiError& error);
// The same as one SSE event, for a stream that already started (Anthropic: `event: error`).
std::string error_event(ErrorStyle style, const ApiError& error);

}  // namespace aigw::translate
