// Provider errors rendered in the caller's dialect: the status is kept (SDKs retry on it), the
// message is the provider's, the type is the caller's word for the same kind of failure.
#include "translate/dialects.h"
#include "translate/error_body.h"
#include "translate/json_util.h"

namespace aigw::translate {
namespace {

using namespace detail;

enum class Kind {
  kInvalid,
  kAuth,
  kPermission,
  kNotFound,
  kTooLarge,
  kRateLimit,
  kOverloaded,
  kServer
};

struct ProviderError {
  std::string message;
  std::string type;  // the provider's own type/status word, when given
  std::string code;
};

// Reads OpenAI {"error":{message,type,code}}, Anthropic {"type":"error","error":{type,message}}
// and Gemini {"error":{code,message,status}} (also wrapped in an array, as its streams send).
ProviderError read_error(std::string_view body) {
  ProviderError e;
  json::value v = parse_or_null(body);
  if (v.is_array() && !v.as_array().empty()) v = v.as_array().front();
  const json::object* err = v.is_object() ? obj(v.as_object(), "error") : nullptr;
  if (err) {
    e.message.assign(str(*err, "message"));
    e.type.assign(str(*err, "type"));
    if (e.type.empty()) e.type.assign(str(*err, "status"));
    e.code.assign(str(*err, "code"));
  } else if (v.is_object() && field(v.as_object(), "error") &&
             v.as_object().at("error").is_string()) {
    e.message.assign(v.as_object().at("error").as_string());
  }
  if (e.message.empty() && !v.is_object() && !body.empty()) {
    e.message.assign(body.substr(0, 500));  // not JSON: an HTML page from a proxy, say
  }
  return e;
}

Kind kind_of(int status, const ProviderError& e) {
  if (e.type == "overloaded_error" || e.type == "UNAVAILABLE") return Kind::kOverloaded;
  if (e.type == "RESOURCE_EXHAUSTED") return Kind::kRateLimit;
  switch (status) {
    case 401:
      return Kind::kAuth;
    case 403:
      return Kind::kPermission;
    case 404:
      return Kind::kNotFound;
    case 413:
      return Kind::kTooLarge;
    case 429:
      return Kind::kRateLimit;
    case 503:
    case 529:
      return Kind::kOverloaded;
    default:
      break;
  }
  return status >= 500 ? Kind::kServer : Kind::kInvalid;
}

std::string_view anthropic_type(Kind k) {
  switch (k) {
    case Kind::kAuth:
      return "authentication_error";
    case Kind::kPermission:
      return "permission_error";
    case Kind::kNotFound:
      return "not_found_error";
    case Kind::kTooLarge:
      return "request_too_large";
    case Kind::kRateLimit:
      return "rate_limit_error";
    case Kind::kOverloaded:
      return "overloaded_error";
    case Kind::kServer:
      return "api_error";
    case Kind::kInvalid:
      break;
  }
  return "invalid_request_error";
}

std::string_view openai_type(Kind k) {
  switch (k) {
    case Kind::kAuth:
      return "authentication_error";
    case Kind::kPermission:
      return "permission_error";
    case Kind::kNotFound:
      return "not_found_error";
    case Kind::kRateLimit:
      return "rate_limit_error";
    case Kind::kOverloaded:
    case Kind::kServer:
      return "server_error";
    case Kind::kTooLarge:
    case Kind::kInvalid:
      break;
  }
  return "invalid_request_error";
}

std::string_view openai_code(Kind k) {
  switch (k) {
    case Kind::kRateLimit:
      return "rate_limit_exceeded";
    case Kind::kOverloaded:
      return "server_overloaded";
    case Kind::kNotFound:
      return "model_not_found";
    default:
      break;
  }
  return {};
}

}  // namespace

ApiError convert_error(Dialect provider, Dialect caller, int status, std::string_view body) {
  ProviderError e = read_error(body);
  if (e.message.empty()) {
    e.message =
        std::string(dialect_name(provider)) + " provider answered HTTP " + std::to_string(status);
  }
  const Kind kind = kind_of(status, e);
  ApiError out;
  out.status = status;
  out.message = e.message;
  if (caller == Dialect::kAnthropicMessages) {
    out.type.assign(anthropic_type(kind));
    out.literal_body = json::serialize(anthropic_error_body(out.type, out.message));
    return out;
  }
  out.type.assign(openai_type(kind));
  std::string code = provider == Dialect::kOpenAiChat ? e.code : std::string(openai_code(kind));
  out.literal_body = json::serialize(openai_error_body(out.message, out.type, code));
  return out;
}

}  // namespace aigw::translate
