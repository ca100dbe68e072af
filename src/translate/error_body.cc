#include "translate/error_body.h"

#include <boost/json.hpp>

namespace aigw::translate {

namespace json = boost::json;

json::object openai_error_body(std::string_view message, std::string_view type,
                               std::string_view code) {
  json::object err{{"message", message},
                   {"type", type.empty() ? std::string_view("api_error") : type},
                   {"param", nullptr},
                   {"code", code.empty() ? json::value(nullptr) : json::value(code)}};
  return {{"error", std::move(err)}};
}

json::object anthropic_error_body(std::string_view type, std::string_view message) {
  return {{"type", "error"},
          {"error",
           {{"type", type.empty() ? std::string_view("api_error") : type}, {"message", message}}}};
}

std::string_view anthropic_error_type(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

json::object error_body(ErrorStyle style, const ApiError& error) {
  switch (style) {
    case ErrorStyle::kAnthropic:
      return anthropic_error_body(anthropic_error_type(error.status), error.message);
    case ErrorStyle::kOpenAi:
      return openai_error_body(error.message, error.type, error.type);
    case ErrorStyle::kPlain:
      break;
  }
  return {{"error", error.message}};
}

std::string error_event(ErrorStyle style, const ApiError& error) {
  const std::string data = json::serialize(error_body(style, error));
  if (style == ErrorStyle::kAnthropic) return "event: error\ndata: " + data + "\n\n";
  return "data: " + data + "\n\n";
}

}  // namespace aigw::translate
