#include "auth/signing_key_ring.h"

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

#include "auth/key_set.h"
#include "auth/private_file.h"

namespace aigw::auth {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const SigningKey> load_key(const fs::path& p) {
  const auto pem = read_text_file(p.string());
  if (!pem) return nullptr;
  auto key = SigningKey::from_pem(*pem);
  if (!key) throw std::runtime_error(p.string() + " is not a usable private key");
  return std::make_shared<const SigningKey>(std::move(*key));
}

}  // namespace

std::shared_ptr<SigningKeyRing> SigningKeyRing::load_or_create(const std::string& dir,
                                                               const std::string& algorithm) {
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
  } else if (ring->current_->algorithm() != algorithm) {
    // The configured algorithm changed: sign with a new key of that kind from now on, and
    // keep publishing the old one until the tokens it signed have expired.
    ring->rotate();
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
  if (!key) throw std::runtime_error("cannot generate a " + algorithm_ + " signing key");
  auto next = std::make_shared<const SigningKey>(std::move(*key));
  std::lock_guard lock(mutex_);
  // On disk first: if writing fails, the ring in memory stays as it was.
  write_private_file((fs::path(dir_) / "previous.pem").string(), current_->to_pem());
  write_private_file((fs::path(dir_) / "current.pem").string(), next->to_pem());
  previous_ = std::move(current_);
  current_ = std::move(next);
}

void SigningKeyRing::reload() {
  auto current = load_key(fs::path(dir_) / "current.pem");
  if (!current) return;
  auto previous = load_key(fs::path(dir_) / "previous.pem");
  std::lock_guard lock(mutex_);
  current_ = std::move(current);
  previous_ = std::move(previous);
}

void SigningKeyRing::persist() const {
  write_private_file((fs::path(dir_) / "current.pem").string(), current_->to_pem());
  if (previous_)
    write_private_file((fs::path(dir_) / "previous.pem").string(), previous_->to_pem());
}

std::string SigningKeyRing::jwks_document() const {
  const auto keys = published();
  std::vector<const PublicKey*> public_keys;
  for (const auto& k : keys) public_keys.push_back(&k->public_key());
  return auth::jwks_document(public_keys);
}

}  // namespace aigw::auth
