// Everything authentication needs at run time, built once from AuthSettings: the verifier
// (built-in issuer plus external IdPs), and the built-in issuer with its keys and clients.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth/auth_settings.h"
#include "auth/bounded_pool.h"
#include "auth/token_issuer.h"
#include "auth/verifier.h"

namespace aigw::auth {

class AuthService {
 public:
  // Loads keys (creating the built-in issuer's on first start) and static JWKS files.
  // Throws std::runtime_error naming what is wrong. `notices` gets lines for the operator.
  static std::shared_ptr<AuthService> create(const AuthSettings& settings,
                                             std::vector<std::string>& notices);

  const AuthSettings& settings() const { return settings_; }
  bool enabled() const { return settings_.enabled; }
  Verifier& verifier() { return *verifier_; }
  TokenIssuer* issuer() { return issuer_.get(); }
  // Where the token endpoint's secret checks run (null without the built-in issuer).
  BoundedPool* secret_checks() { return secret_checks_.get(); }
  // True once: the caller starts the periodic JWKS refresh (there is one per process).
  bool claim_jwks_refresher() {
    return !jwks_refresher_claimed_.load(std::memory_order_relaxed) &&
           !jwks_refresher_claimed_.exchange(true);
  }
  // Joins the secret-check threads (dropping waiting checks); call before the I/O threads'
  // contexts go away.
  void stop() {
    if (secret_checks_) secret_checks_->stop();
  }
  // Rotates the built-in issuer's key; the previous one stays published and trusted.
  void rotate_signing_key();

  // Run-time clients of the built-in issuer (persisted, hashed, in clients.json beside the
  // keys). add and rotate return the new secret (index 0) or an error (index 1); the secret
  // is shown to the caller once and never stored in clear.
  std::variant<std::string, std::string> add_client(const std::string& id, const std::string& team,
                                                    std::vector<std::string> scopes);
  std::variant<std::string, std::string> rotate_client_secret(const std::string& id);
  std::optional<std::string> remove_client(const std::string& id);

  // Replicas (a shared state store) share the built-in issuer's files: these, the signing keys
  // and the run-time clients (empty without the built-in issuer). `changed` is called after
  // this replica wrote them (a rotation, a client added, rotated or removed); reload() takes
  // them in again after another replica's change was copied here: the keys it signs and
  // trusts, and its clients (a removed client's or an old secret's tokens are refused then).
  static std::vector<std::string> shared_files(const AuthSettings& settings);
  void on_files_changed(std::function<void()> changed) { files_changed_ = std::move(changed); }
  void reload();

 private:
  void save_runtime_clients() const;

  AuthSettings settings_;
  std::unique_ptr<Verifier> verifier_;
  std::unique_ptr<TokenIssuer> issuer_;
  std::shared_ptr<SigningKeyRing> ring_;
  std::shared_ptr<KeySet> builtin_keys_;
  std::string clients_file_;
  std::function<void()> files_changed_;
  std::unique_ptr<BoundedPool> secret_checks_;
  std::atomic<bool> jwks_refresher_claimed_{false};
};

}  // namespace aigw::auth
