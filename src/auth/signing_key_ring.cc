#include "auth/signing_key_ring.h"

#include <sys/stat.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace aigw::auth {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Written with 0600 from the start (umask-independent), then renamed into place.
void write_private(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + tmp.string());
  chmod(tmp.c_str(), 0600);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  fs::rename(tmp, p);
}

std::shared_ptr<const SigningKey> load_key(const fs::path& p) {
  const auto pem = read_file(p);
  if (!pem) return nullptr;
  auto key = SigningKey::from_pem(*pem);
  if (!key) throw std::runtime_error(p.string() + " is not a usable private key");
  return std::make_shared<const SigningKey>(std::move(*key));
}

}  // namespace

std::shared_ptr<SigningKeyRing> SigningKeyRing::load_or_create(const std::string& dir, const std::string& algorithm) {
  auto ring = std::shared_ptr<SigningKeyRing>(new SigningKeyRing());
  ring->dir_ = dir;
  ring->algorithm_ = algorithm;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create keys directory " + dir + ": " + ec.message());
  chmod(dir.c_str(), 0700);
  ring->current_ = load_key(fs::path(dir) / "current.pem");
  ring->previous_ = load_key(fs::path(dir) / "previous.pem");
  if (!ring->current_) {
    auto key = SigningKey::generate(algorithm);
    if (!key) throw std::runtime_error("cannot generate a " + algorithm + " signing key");
    ring->current_ = std::make_shared<const SigningKey>(std::move(*key));
    ring->persist();
  }
  return ring;
}

std::shared_ptr<const SigningKey> SigningKeyRing::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::vector<std::shared_ptr<const SigningKey>> SigningKeyRing::published() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const SigningKey>> out{current_};
  if (previous_) out.push_back(previous_);
  return out;
}

void SigningKeyRing::rotate() {
  auto key = SigningKey::generate(algorithm_);
  if (!key) throw std::runtime_error("cannot generate a signing key");
  std::lock_guard lock(mutex_);
  previous_ = current_;
  current_ = std::make_shared<const SigningKey>(std::move(*key));
  persist();
}

void SigningKeyRing::persist() const {
  write_private(fs::path(dir_) / "current.pem", current_->to_pem());
  if (previous_) write_private(fs::path(dir_) / "previous.pem", previous_->to_pem());
}

std::string SigningKeyRing::jwks_document() const {
  boost::json::array keys;
  for (const auto& k : published()) keys.push_back(k->public_key().to_jwk());
  return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}});
}

}  // namespace aigw::auth
