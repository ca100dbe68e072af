// A YAML node that knows its own path: every config part reads its keys through this, so an
// error always names the key and the line (e.g. "providers.openai.base_url (line 4): ...").
// In core/ (not config/) so that each part parses its own section without depending on the
// config/ that assembles them: the dependencies point one way, config/ -> parts -> core/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"

namespace aigw::config {

// Thrown at start-up (and on reload) only; never on the request path.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Looks up an environment variable for ${VAR} interpolation (injectable for tests).
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_env();

// Replaces ${VAR} and ${VAR:-default} in text. Unset variables without a default become "".
std::string interpolate(std::string_view text, const EnvLookup& env);

class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::string path, const EnvLookup* env);

  const std::string& path() const { return path_; }
  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool has(std::string_view key) const;
  ConfigNode child(std::string_view key) const;

  // Scalar readers: the key's value, or `fallback` when the key is absent.
  std::string str(std::string_view key, std::string fallback = "") const;
  std::string required_str(std::string_view key) const;
  std::int64_t integer(std::string_view key, std::int64_t fallback) const;
  bool boolean(std::string_view key, bool fallback) const;
  Millis duration(std::string_view key, Millis fallback) const;
  std::uint64_t size(std::string_view key, std::uint64_t fallback) const;
  std::vector<std::string> str_list(std::string_view key) const;
  // This node's own scalar value, interpolated.
  std::string scalar() const;

  // Rejects keys not in `known`, naming the stray key and the ones allowed.
  void allow_keys(std::initializer_list<std::string_view> known) const;
  void for_each_entry(const std::function<void(const std::string&, const ConfigNode&)>& fn) const;
  void for_each_item(const std::function<void(const ConfigNode&)>& fn) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  YAML::Node node_;
  std::string path_;
  const EnvLookup* env_;
};

// "host:port", "[v6]:port", or a bare "port" (on `default_host`); fails at `where`.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
HostPort parse_host_port(const std::string& text, const ConfigNode& where,
                         const std::string& default_host);

// Parses YAML text into a root node; a syntax error names the line.
YAML::Node parse_yaml(const std::string& text, const std::string& source_name);

}  // namespace aigw::config
