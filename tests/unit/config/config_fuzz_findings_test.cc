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

// Found by config_fuzz: a duration of 8.9e77 seconds was converted to int64 (undefined).
// Durations past ~31,700 years, sizes past 2^60 bytes, inf and nan are refused by name.
TEST(ConfigFuzzFindingsTest, HugeOrNonFiniteDurationsAndSizesAreConfigErrors) {
  for (const char* yaml :
       {"limits: { ip: { window: "
        "888888888888888888888888888888888888888888888888888888888888888888888888888888s } }\n",
        "upstream: { read_timeout: 1e300h }\n", "upstream: { read_timeout: inf }\n",
        "upstream: { read_timeout: nan }\n", "server: { max_body_bytes: 1e30GiB }\n",
        "server: { max_body_bytes: inf }\n"}) {
    const auto error = load_error(yaml);
    EXPECT_NE(error.find("(line 1)"), std::string::npos) << yaml << " -> " << error;
  }
  // The largest sensible values still load.
  EXPECT_EQ(load_error("upstream: { read_timeout: 3650d }\nserver: { max_body_bytes: 1GiB }\n"),
            "");
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
