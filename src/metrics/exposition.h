// The Prometheus text exposition format (0.0.4): `# HELP`, `# TYPE`, then one line per
// sample, label values escaped (backslash, double quote, newline).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_text.h"

namespace aigw::metrics {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class Exposition {
 public:
  // Starts a metric family; its samples follow.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, std::uint64_t value);
  // Micro-units as a plain decimal (dollars from micro-dollars), no float rounding.
  void sample_micros(std::string_view name, const Labels& labels, std::int64_t micros);

  const std::string& text() const { return text_; }

 private:
  void begin_sample(std::string_view name, const Labels& labels);

  std::string text_;
};

}  // namespace aigw::metrics
