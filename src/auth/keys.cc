#include "auth/keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <vector>

#include "auth/base64url.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

constexpr std::size_t kEs256Half = 32;
// RSA moduli we accept, in bytes: 2048 bits at least (RFC 7518 §3.3); at most 8192 so a
// hostile JWKS cannot make each verification arbitrarily slow.
constexpr std::size_t kMinRsaBytes = 256;
constexpr std::size_t kMaxRsaBytes = 1024;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) { return {k, EVP_PKEY_free}; }

std::string jwk_field(const json::object& jwk, std::string_view key) {
  const auto* v = jwk.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return "";
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::shared_ptr<EVP_PKEY> key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx && params && EVP_PKEY_fromdata_init(ctx) == 1)
    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return key ? own(key) : nullptr;
}

std::shared_ptr<EVP_PKEY> rsa_from_jwk(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
  auto key = key_from_params("RSA", bld);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return key;
}

std::shared_ptr<EVP_PKEY> ec_from_jwk(const std::string& x, const std::string& y) {
  std::string point = "\x04" + x + y;  // uncompressed point
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  auto key = key_from_params("EC", bld);
  OSSL_PARAM_BLD_free(bld);
  return key;
}

bool is_p256(EVP_PKEY* key) {
  char group[64] = {};
  std::size_t len = 0;
  return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &len) == 1 &&
         std::string_view(group, len) == "prime256v1";
}

// RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
std::string thumbprint(const json::object& jwk) {
  std::string canonical;
  if (jwk_field(jwk, "kty") == "RSA") {
    canonical =
        R"({"e":")" + jwk_field(jwk, "e") + R"(","kty":"RSA","n":")" + jwk_field(jwk, "n") + "\"}";
  } else {
    canonical = R"({"crv":"P-256","kty":"EC","x":")" + jwk_field(jwk, "x") + R"(","y":")" +
                jwk_field(jwk, "y") + "\"}";
  }
  return base64url_encode(sha256(canonical));
}

// ECDSA signatures: JOSE uses r||s (64 bytes), OpenSSL uses DER.
std::string jose_to_der(std::string_view sig) {
  ECDSA_SIG* s = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), kEs256Half, nullptr);
  BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data() + kEs256Half),
                         kEs256Half, nullptr);
  ECDSA_SIG_set0(s, r, ss);
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(s, &der);
  std::string out =
      n > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)) : "";
  OPENSSL_free(der);
  ECDSA_SIG_free(s);
  return out;
}

std::string der_to_jose(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!s) return "";
  std::string out(2 * kEs256Half, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(s), reinterpret_cast<unsigned char*>(out.data()), kEs256Half);
  BN_bn2binpad(ECDSA_SIG_get0_s(s), reinterpret_cast<unsigned char*>(out.data() + kEs256Half),
               kEs256Half);
  ECDSA_SIG_free(s);
  return out;
}

}  // namespace

std::optional<PublicKey> PublicKey::from_jwk(const json::object& jwk, std::string& error) {
  PublicKey k;
  const std::string kty = jwk_field(jwk, "kty");
  if (kty == "RSA") {
    auto n = base64url_decode(jwk_field(jwk, "n"));
    auto e = base64url_decode(jwk_field(jwk, "e"));
    if (!n || !e || n->empty() || e->empty())
      return error = "RSA key without valid n and e", std::nullopt;
    if (n->size() < kMinRsaBytes) return error = "RSA key shorter than 2048 bits", std::nullopt;
    if (n->size() > kMaxRsaBytes) return error = "RSA key longer than 8192 bits", std::nullopt;
    k.key_ = rsa_from_jwk(*n, *e);
    k.algorithm_ = "RS256";
  } else if (kty == "EC") {
    if (jwk_field(jwk, "crv") != "P-256")
      return error = "EC key on a curve other than P-256", std::nullopt;
    auto x = base64url_decode(jwk_field(jwk, "x"));
    auto y = base64url_decode(jwk_field(jwk, "y"));
    if (!x || !y || x->size() != kEs256Half || y->size() != kEs256Half)
      return error = "EC key without valid x and y", std::nullopt;
    k.key_ = ec_from_jwk(*x, *y);
    k.algorithm_ = "ES256";
  } else {
    return error = "unsupported key type \"" + kty + "\"", std::nullopt;
  }
  if (!k.key_) return error = "OpenSSL rejected the " + kty + " key", std::nullopt;
  const std::string alg = jwk_field(jwk, "alg");
  if (!alg.empty() && alg != k.algorithm_)
    return error = "key alg " + alg + " does not match its type", std::nullopt;
  k.kid_ = jwk_field(jwk, "kid");
  return k;
}

std::size_t PublicKey::signature_size() const {
  if (algorithm_ == "ES256") return 2 * kEs256Half;
  const int size = EVP_PKEY_get_size(key_.get());
  return size > 0 ? static_cast<std::size_t>(size) : 0;
}

bool PublicKey::verify(std::string_view alg, std::string_view signing_input,
                       std::string_view signature) const {
  if (alg != algorithm_) return false;  // never let the token choose a weaker check (HS256, none)
  std::string der;
  if (signature.size() != signature_size()) return false;
  if (alg == "ES256") {
    der = jose_to_der(signature);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

json::object PublicKey::to_jwk() const {
  json::object jwk;
  if (algorithm_ == "RS256") {
    jwk = {{"kty", "RSA"},
           {"n", base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
           {"e", base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E))}};
  } else {
    unsigned char point[1 + 2 * kEs256Half];
    std::size_t len = 0;
    EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    const std::string_view p(reinterpret_cast<char*>(point), len);
    jwk = {{"kty", "EC"},
           {"crv", "P-256"},
           {"x", base64url_encode(p.substr(1, kEs256Half))},
           {"y", base64url_encode(p.substr(1 + kEs256Half, kEs256Half))}};
  }
  jwk["kid"] = kid_.empty() ? thumbprint(jwk) : kid_;
  jwk["alg"] = algorithm_;
  jwk["use"] = "sig";
  return jwk;
}

std::optional<SigningKey> SigningKey::generate(std::string_view algorithm) {
  EVP_PKEY* key = nullptr;
  if (algorithm == "RS256")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
  else if (algorithm == "ES256")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) return std::nullopt;
  SigningKey k;
  k.key_ = own(key);
  k.public_.key_ = k.key_;
  k.public_.algorithm_ = std::string(algorithm);
  k.public_.kid_ = thumbprint(k.public_.to_jwk());
  return k;
}

std::optional<SigningKey> SigningKey::from_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return std::nullopt;
  SigningKey k;
  k.key_ = own(key);
  k.public_.key_ = k.key_;
  if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048) {
    k.public_.algorithm_ = "RS256";
  } else if (EVP_PKEY_is_a(key, "EC") && is_p256(key)) {
    k.public_.algorithm_ = "ES256";
  } else {
    return std::nullopt;
  }
  k.public_.kid_ = thumbprint(k.public_.to_jwk());
  return k;
}

std::string SigningKey::to_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// '>', '?' and '~' are the only ASCII bytes whose base64 holds '+' or '/' (so '-' or '_' in
// base64url). Escaped, our tokens decode with plain `base64 -d`, as the troubleshooting page does.
std::string plain_base64_safe_json(const json::object& o) {
  std::string out;
  for (const char c : json::serialize(o)) {
    if (c == '>')
      out += "\\u003e";
    else if (c == '?')
      out += "\\u003f";
    else if (c == '~')
      out += "\\u007e";
    else
      out += c;
  }
  return out;
}

std::string SigningKey::sign_jwt(const json::object& claims) const {
  const json::object header{{"alg", algorithm()}, {"typ", "JWT"}, {"kid", kid()}};
  const std::string input = base64url_encode(plain_base64_safe_json(header)) + "." +
                            base64url_encode(plain_base64_safe_json(claims));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) == 1) {
    sig.resize(len);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (algorithm() == "ES256") sig = der_to_jose(sig);
  return input + "." + base64url_encode(sig);
}

}  // namespace aigw::auth
