#include "metrics/metrics_settings.h"

#include "core/config_node.h"

namespace aigw::metrics {

MetricsSettings parse_metrics_settings(const config::ConfigNode& node) {
  MetricsSettings s;
  if (!node.defined()) return s;
  node.allow_keys({"listen", "path", "max_label_values"});
  const auto listen =
      config::parse_host_port(node.required_str("listen"), node.child("listen"), s.host);
  s.enabled = true;
  s.host = listen.host;
  s.port = listen.port;
  s.path = node.str("path", s.path);
  if (s.path.empty() || s.path.front() != '/' || s.path.find_first_of("?# ") != std::string::npos)
    node.child("path").fail("expected an absolute path such as /metrics");
  const std::int64_t max = node.integer("max_label_values", 200);
  if (max < 1 || max > 10'000) node.child("max_label_values").fail("must be between 1 and 10000");
  s.max_label_values = static_cast<std::size_t>(max);
  return s;
}

}  // namespace aigw::metrics
