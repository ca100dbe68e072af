// libFuzzer target: the config loader. Any text must either load or be refused with a
// ConfigError (which names the key and line); any other exception escaping the loader, or a
// crash, is a finding. The environment is a fixed table so runs are reproducible.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/config_node.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const aigw::config::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "OPENAI_API_KEY") return "sk-fuzz";
    if (name == "PORT") return "8787";
    return std::nullopt;
  };
  try {
    (void)aigw::config::load_config_text(yaml, "fuzz.yaml", env);
  } catch (const aigw::config::ConfigError&) {
    // Refused with a message: the expected outcome for most inputs.
  }
  return 0;
}
