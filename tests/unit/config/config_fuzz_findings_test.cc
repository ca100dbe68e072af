// Inputs fuzz/config_fuzz.cc found: each must be refused with a ConfigError naming its line,
// never escape as another exception (which `aigw serve` does not catch at start: a crash).
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace aigw::config {
namespace {

std::string load_error(const std::string& yaml) {
  try {
    load_config_text(yaml, "test.yaml",
                     [](std::string_view) { return std::optional<std::string>(); });
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigFuzzFindingsTest, AMappingOrListAsAKeyIsAConfigError) {
  // Found by config_fuzz: a flow mapping used as a key threw YAML::TypedBadConversion.
  const auto error =
      load_error("listen: 127.0.0.1:8787\nproviders:\n  mock: { { requests: 3 } }\n");
  EXPECT_NE(error.find("expected a plain key name"), std::string::npos) << error;
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_NE(load_error("providers: { [a, b]: {} }\n").find("expected a plain key name"),
            std::string::npos);
  EXPECT_NE(load_error("{ [a]: 1 }\n").find("expected a plain key name"), std::string::npos);
}

}  // namespace
}  // namespace aigw::config
