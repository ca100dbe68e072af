#include "auth/jwt_token.h"

#include <boost/json.hpp>

#include "auth/base64url.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

// Tokens are small; anything this large is not a token we issued or trust.
constexpr std::size_t kMaxTokenBytes = 16 * 1024;

std::optional<json::object> decode_json_part(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

}  // namespace

std::optional<std::string> decode_jwt(std::string_view token, DecodedJwt& out) {
  if (token.empty()) return "token is empty";
  if (token.size() > kMaxTokenBytes) return "token is too large";
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return "expected three dot-separated parts";
  }
  auto header = decode_json_part(token.substr(0, first));
  if (!header) return "header is not base64url-encoded JSON";
  auto claims = decode_json_part(token.substr(first + 1, second - first - 1));
  if (!claims) return "payload is not base64url-encoded JSON";
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) return "signature is not base64url";
  const auto* alg = header->if_contains("alg");
  if (!alg || !alg->is_string()) return "header has no alg";
  out.alg = alg->as_string();
  const auto* kid = header->if_contains("kid");
  out.kid = kid && kid->is_string() ? std::string(kid->as_string()) : "";
  out.header = std::move(*header);
  out.claims = std::move(*claims);
  out.signing_input = token.substr(0, second);
  out.signature = std::move(*signature);
  return std::nullopt;
}

}  // namespace aigw::auth
