// `aigw doctor`: the agent settings on this machine checked against the pitfalls of the
// troubleshooting page (docs/agents/troubleshooting.md), one line per finding. Pure: the
// environment, the files and what the gateway answered are given; cli/doctor_command.cc
// gathers them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "setup/agent_setup.h"

namespace aigw::setup {

struct Finding {
  bool ok = true;
  std::string line;  // "claude-code: …"
};

struct MachineView {
  std::string home;
  std::function<std::optional<std::string>(const std::string& name)> env;
  FileReader file;
  std::function<bool(const std::string& path)> executable;
};

// The agents' own configuration files and environment.
std::vector<Finding> check_agents(const MachineView& machine);

// The x-portkey-provider values the agents found send (to compare with what the gateway
// serves).
std::vector<std::string> providers_sent(const MachineView& machine);

// The gateway's answers, gathered by the caller.
struct GatewayView {
  std::string url;
  int root_status = 0;      // GET / (0: no answer)
  std::string root_body;    //   {"status":"ok","service":"aigw",…} from aigw
  std::string token_error;  // getting a token failed: why ("" when it worked or was not tried)
  bool token_tried = false;
  std::int64_t token_seconds_left = 0;
  std::string token_scopes;                        // space-separated
  std::optional<std::vector<std::string>> served;  // GET /v1/providers names, when it answered
  std::string providers_error;
};

inline constexpr const char* kInvokeScope = "https://gateway.internal/invoke";

std::vector<Finding> check_gateway(const GatewayView& gateway,
                                   const std::vector<std::string>& providers_sent);

}  // namespace aigw::setup
