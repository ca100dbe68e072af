#include "auth/jwt_token.h"

#include <boost/json.hpp>

#include "auth/base64url.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

// Tokens are small; anything this large is not a token we issued or trust.
constexpr std::size_t kMaxTokenBytes = 16 * 1024;

// Decodes one JSON segment; on failure says which step failed, naming the segment.
std::optional<std::string> decode_json_part(std::string_view part, std::string_view name,
                                            json::object& out) {
  const auto bytes = base64url_decode(part);
  if (!bytes) return std::string(name) + " is not base64url";
  boost::system::error_code ec;
  json::value v = json::parse(*bytes, ec);
  if (ec) return std::string(name) + " is not JSON";
  if (!v.is_object()) return std::string(name) + " is not a JSON object";
  out = std::move(v.as_object());
  return std::nullopt;
}

std::optional<std::string> read_header(const json::object& header, DecodedJwt& out) {
  const auto* alg = header.if_contains("alg");
  if (!alg || !alg->is_string()) return "header has no alg";
  out.alg = alg->as_string();
  const auto* kid = header.if_contains("kid");
  if (kid && !kid->is_string()) return "header kid is not a string";
  out.kid = kid ? std::string(kid->as_string()) : "";
  // RFC 7515 §4.1.11: a token that requires extensions we do not implement must be refused.
  if (header.contains("crit")) return "header lists crit extensions this gateway does not support";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> decode_jwt(std::string_view token, DecodedJwt& out) {
  if (token.empty()) return "token is empty";
  if (token.size() > kMaxTokenBytes) {
    return "token is longer than " + std::to_string(kMaxTokenBytes) + " bytes";
  }
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return "expected three dot-separated parts";
  }
  if (auto e = decode_json_part(token.substr(0, first), "header", out.header)) return e;
  if (auto e =
          decode_json_part(token.substr(first + 1, second - first - 1), "payload", out.claims)) {
    return e;
  }
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) return "signature is not base64url";
  if (auto e = read_header(out.header, out)) return e;
  out.signing_input = token.substr(0, second);
  out.signature = std::move(*signature);
  return std::nullopt;
}

}  // namespace aigw::auth
