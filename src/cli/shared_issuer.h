// The built-in issuer's files — signing keys (current.pem, previous.pem) and run-time clients
// (clients.json, hashed secrets) — shared by replicas through a shared state store
// (`state.backend: redis`), so that a token from one replica is accepted by every other and a
// client removed or a secret rotated on one is refused by all. They travel as one admin
// record (kind "issuer", name "files": {"current.pem": "…", …}) so a change is taken whole;
// each replica writes them into its own files (0600) and reloads (AuthService::reload). Two
// admin changes made at the same moment on two replicas: the later one wins.
#pragma once

#include <string>
#include <vector>

#include "auth/auth_service.h"
#include "state/usage_store.h"

namespace aigw::cli {

// The shared files, when the store has them, replace this replica's (before the AuthService
// loads them, and after another replica's change). "" or what went wrong.
std::string adopt_issuer_files(state::UsageStore& store, const std::vector<std::string>& paths);

// Once the AuthService is created: the first replica's files become the shared ones; one that
// finds others' already there takes them and reloads.
std::string share_issuer_files(state::UsageStore& store, auth::AuthService& auth,
                               const std::vector<std::string>& paths);

// After this replica changed its files (rotation, client changes).
std::string publish_issuer_files(state::UsageStore& store, const std::vector<std::string>& paths);

}  // namespace aigw::cli
