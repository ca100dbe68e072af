#include "metrics/exposition.h"

#include <charconv>
#include <cmath>

namespace aigw::metrics {

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Exposition::begin_sample(std::string_view name, const Labels& labels) {
  text_.append(name);
  if (!labels.empty()) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, value] : labels) {
      if (!first) text_ += ',';
      first = false;
      text_.append(label).append("=\"");
      for (const char c : value) {
        if (c == '\\' || c == '"') {
          text_ += '\\';
          text_ += c;
        } else if (c == '\n') {
          text_.append("\\n");
        } else {
          text_ += c;
        }
      }
      text_ += '"';
    }
    text_ += '}';
  }
  text_ += ' ';
}

void Exposition::sample(std::string_view name, const Labels& labels, double value) {
  begin_sample(name, labels);
  if (std::isinf(value)) {
    text_.append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char digits[32];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    text_.append(digits, static_cast<std::size_t>(end - digits));
  }
  text_ += '\n';
}

void Exposition::sample(std::string_view name, const Labels& labels, std::uint64_t value) {
  begin_sample(name, labels);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  text_.append(digits, static_cast<std::size_t>(end - digits)).append("\n");
}

void Exposition::sample_micros(std::string_view name, const Labels& labels, std::int64_t micros) {
  begin_sample(name, labels);
  text_.append(micros_decimal(micros)).append("\n");
}

}  // namespace aigw::metrics
