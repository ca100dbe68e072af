// The `metrics:` section: Prometheus metrics on a listener of their own, so a scraper never
// shares the API port (or its auth) and the API port never serves metrics.
//
//   metrics: { listen: 127.0.0.1:9464, path: /metrics, max_label_values: 200 }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace aigw::config {
class ConfigNode;
}

namespace aigw::metrics {

struct MetricsSettings {
  bool enabled = false;  // true once `metrics.listen` is set
  std::string host = "127.0.0.1";
  std::uint16_t port = 9464;
  std::string path = "/metrics";
  // Distinct values kept per caller-influenced label (model, team); later ones count under
  // "other", so no caller can mint an unbounded number of series.
  std::size_t max_label_values = 200;
};

// Reads `metrics:` (undefined: disabled); errors through ConfigNode::fail.
MetricsSettings parse_metrics_settings(const config::ConfigNode& node);

}  // namespace aigw::metrics
