#include "core/config_node.h"

#include <cstdlib>

namespace aigw::config {

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string interpolate(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos)
        throw ConfigError("unterminated ${ in \"" + std::string(text) + "\"");
      std::string_view inner = text.substr(i + 2, close - i - 2);
      std::string_view fallback;
      bool has_fallback = false;
      if (auto dash = inner.find(":-"); dash != std::string_view::npos) {
        fallback = inner.substr(dash + 2);
        inner = inner.substr(0, dash);
        has_fallback = true;
      }
      auto value = env(inner);
      if (value && !value->empty())
        out += *value;
      else if (has_fallback)
        out += fallback;
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

ConfigNode::ConfigNode(YAML::Node node, std::string path, const EnvLookup* env)
    // yaml-cpp hands out "zombie" nodes for missing keys; most calls on them throw.
    : node_(node.IsDefined() ? std::move(node) : YAML::Node(YAML::NodeType::Undefined)),
      path_(std::move(path)),
      env_(env) {}

bool ConfigNode::has(std::string_view key) const {
  return defined() && node_.IsMap() && node_[std::string(key)].IsDefined() &&
         !node_[std::string(key)].IsNull();
}

ConfigNode ConfigNode::child(std::string_view key) const {
  std::string child_path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (!node_.IsMap()) return ConfigNode(YAML::Node(YAML::NodeType::Undefined), child_path, env_);
  return ConfigNode(node_[std::string(key)], std::move(child_path), env_);
}

std::string ConfigNode::scalar() const {
  if (!node_.IsScalar()) fail("expected a single value");
  return interpolate(node_.Scalar(), *env_);
}

std::string ConfigNode::str(std::string_view key, std::string fallback) const {
  if (!has(key)) return fallback;
  return child(key).scalar();
}

std::string ConfigNode::required_str(std::string_view key) const {
  if (!has(key)) fail("missing required key '" + std::string(key) + "'");
  std::string value = child(key).scalar();
  if (value.empty()) child(key).fail("must not be empty");
  return value;
}

std::int64_t ConfigNode::integer(std::string_view key, std::int64_t fallback) const {
  if (!has(key)) return fallback;
  const ConfigNode c = child(key);
  const std::string text = c.scalar();
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    c.fail("expected a whole number, got \"" + text + "\"");
  }
}

bool ConfigNode::boolean(std::string_view key, bool fallback) const {
  if (!has(key)) return fallback;
  const ConfigNode c = child(key);
  const std::string text = c.scalar();
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  c.fail("expected true or false, got \"" + text + "\"");
}

Millis ConfigNode::duration(std::string_view key, Millis fallback) const {
  if (!has(key)) return fallback;
  const ConfigNode c = child(key);
  auto value = parse_duration(c.scalar());
  if (!value)
    c.fail("expected a duration such as 250ms, 10s, 5m or 1h, got \"" + c.scalar() + "\"");
  return *value;
}

std::uint64_t ConfigNode::size(std::string_view key, std::uint64_t fallback) const {
  if (!has(key)) return fallback;
  const ConfigNode c = child(key);
  auto value = parse_size(c.scalar());
  if (!value) c.fail("expected a size such as 16384, 64KiB or 10MiB, got \"" + c.scalar() + "\"");
  return *value;
}

std::vector<std::string> ConfigNode::str_list(std::string_view key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const ConfigNode c = child(key);
  if (c.node_.IsScalar()) return {c.scalar()};
  if (!c.node_.IsSequence()) c.fail("expected a list");
  c.for_each_item([&](const ConfigNode& item) { out.push_back(item.scalar()); });
  return out;
}

namespace {

// A key must be a plain name: `{ {a: 1}: x }` or `[a]: x` is refused with its line instead of
// escaping as a YAML conversion error without one (found by fuzz/config_fuzz.cc).
std::string key_name(const YAML::Node& key, const std::string& path, const EnvLookup* env) {
  if (!key.IsScalar()) {
    ConfigNode(key, path, env).fail("expected a plain key name, not a list or mapping");
  }
  return key.Scalar();
}

}  // namespace

void ConfigNode::allow_keys(std::initializer_list<std::string_view> known) const {
  if (!defined()) return;
  if (!node_.IsMap()) fail("expected a mapping of keys to values");
  for (const auto& entry : node_) {
    const std::string key = key_name(entry.first, path_, env_);
    bool ok = false;
    for (auto k : known) ok = ok || k == key;
    if (ok) continue;
    std::string names;
    for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
    ConfigNode(entry.first, path_.empty() ? key : path_ + "." + key, env_)
        .fail("unknown key (known keys here: " + names + ")");
  }
}

void ConfigNode::for_each_entry(
    const std::function<void(const std::string&, const ConfigNode&)>& fn) const {
  if (!defined()) return;
  if (!node_.IsMap()) fail("expected a mapping");
  for (const auto& entry : node_) {
    const std::string key = key_name(entry.first, path_, env_);
    fn(key, ConfigNode(entry.second, path_.empty() ? key : path_ + "." + key, env_));
  }
}

void ConfigNode::for_each_item(const std::function<void(const ConfigNode&)>& fn) const {
  if (!defined()) return;
  if (!node_.IsSequence()) fail("expected a list");
  std::size_t index = 0;
  for (const auto& item : node_) {
    fn(ConfigNode(item, path_ + "[" + std::to_string(index++) + "]", env_));
  }
}

void ConfigNode::fail(const std::string& message) const {
  std::string where = path_.empty() ? std::string("config") : path_;
  if (node_.IsDefined() && node_.Mark().line >= 0) {
    where += " (line " + std::to_string(node_.Mark().line + 1) + ")";
  }
  throw ConfigError(where + ": " + message);
}

YAML::Node parse_yaml(const std::string& text, const std::string& source_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source_name + " (line " + std::to_string(e.mark.line + 1) +
                      "): invalid YAML: " + e.msg);
  }
}

HostPort parse_host_port(const std::string& text, const ConfigNode& where,
                         const std::string& default_host) {
  std::string host = default_host;
  std::string port_text = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535 || host.empty()) {
    where.fail("expected host:port such as 0.0.0.0:8787, got \"" + text + "\"");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

}  // namespace aigw::config
