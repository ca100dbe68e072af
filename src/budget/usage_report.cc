// Report rows to JSON (Boost.JSON, money as plain decimals) and CSV (quoted per RFC 4180,
// formula-safe).
#include "budget/usage_report.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

#include "core/json_text.h"

namespace aigw::budget {
namespace {

constexpr ReportField kAllFields[] = {ReportField::kTeam, ReportField::kClient,
                                      ReportField::kProvider, ReportField::kModel,
                                      ReportField::kDay};

const std::string& field_value(const ReportRow& r, ReportField f) {
  switch (f) {
    case ReportField::kTeam:
      return r.team;
    case ReportField::kClient:
      return r.client;
    case ReportField::kProvider:
      return r.provider;
    case ReportField::kModel:
      return r.model;
    case ReportField::kDay:
      return r.day;
  }
  return r.team;
}

ReportRow totals_of(const std::vector<ReportRow>& rows) {
  ReportRow t;
  for (const auto& r : rows) {
    t.input_tokens += r.input_tokens;
    t.output_tokens += r.output_tokens;
    t.cached_tokens += r.cached_tokens;
    t.requests += r.requests;
    t.unpriced_requests += r.unpriced_requests;
    t.cost_micros += r.cost_micros;
    t.estimated_requests += r.estimated_requests;
    t.estimated_tokens += r.estimated_tokens;
  }
  return t;
}

boost::json::object metrics_json(const ReportRow& r) {
  boost::json::object o;
  o["input_tokens"] = r.input_tokens;
  o["output_tokens"] = r.output_tokens;
  o["cached_tokens"] = r.cached_tokens;
  o["requests"] = r.requests;
  o["unpriced_requests"] = r.unpriced_requests;
  o["cost_usd"] = usd_from_micros(r.cost_micros);  // written back as exact micro-dollars
  o["estimated_requests"] = r.estimated_requests;
  o["estimated_tokens"] = r.estimated_tokens;
  return o;
}

// Appends one field. (Appending piecewise also dodges GCC 12's false -Wrestrict on
// string concatenation at -O2.)
void append_csv_field(std::string& out, std::string_view v) {
  std::string s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) s += '\'';
  s += v;
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string_view report_field_name(ReportField f) {
  switch (f) {
    case ReportField::kTeam:
      return "team";
    case ReportField::kClient:
      return "client";
    case ReportField::kProvider:
      return "provider";
    case ReportField::kModel:
      return "model";
    case ReportField::kDay:
      return "day";
  }
  return "team";
}

std::optional<std::vector<ReportField>> parse_group_by(std::string_view text) {
  std::vector<ReportField> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    bool known = false;
    for (ReportField f : kAllFields) {
      if (report_field_name(f) != name) continue;
      known = true;
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
    if (!known) return std::nullopt;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool valid_day(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (day[i] < '0' || day[i] > '9') return false;
  }
  y = (day[0] - '0') * 1000 + (day[1] - '0') * 100 + (day[2] - '0') * 10 + (day[3] - '0');
  m = static_cast<unsigned>((day[5] - '0') * 10 + (day[6] - '0'));
  d = static_cast<unsigned>((day[8] - '0') * 10 + (day[9] - '0'));
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m},
                                     std::chrono::day{d}}
      .ok();
}

std::string render_report_json(const std::vector<ReportRow>& rows,
                               const std::vector<ReportField>& group_by) {
  boost::json::object doc;
  boost::json::array fields;
  for (ReportField f : group_by) fields.emplace_back(report_field_name(f));
  doc["group_by"] = std::move(fields);
  boost::json::array out;
  for (const auto& r : rows) {
    boost::json::object o;
    for (ReportField f : group_by) o[report_field_name(f)] = field_value(r, f);
    for (auto& kv : metrics_json(r)) o[kv.key()] = kv.value();
    out.emplace_back(std::move(o));
  }
  doc["rows"] = std::move(out);
  doc["totals"] = metrics_json(totals_of(rows));
  return serialize_money_json(doc);
}

std::string render_report_csv(const std::vector<ReportRow>& rows,
                              const std::vector<ReportField>& group_by) {
  std::string out;
  for (ReportField f : group_by) {
    out += report_field_name(f);
    out += ',';
  }
  out +=
      "input_tokens,output_tokens,cached_tokens,requests,unpriced_requests,cost_usd,"
      "estimated_requests,estimated_tokens\r\n";
  for (const auto& r : rows) {
    for (ReportField f : group_by) {
      append_csv_field(out, field_value(r, f));
      out += ',';
    }
    out += std::to_string(r.input_tokens) + "," + std::to_string(r.output_tokens) + "," +
           std::to_string(r.cached_tokens) + "," + std::to_string(r.requests) + "," +
           std::to_string(r.unpriced_requests) + "," + micros_fixed6(r.cost_micros) + ",";
    out += std::to_string(r.estimated_requests) + "," + std::to_string(r.estimated_tokens) + "\r\n";
  }
  return out;
}

}  // namespace aigw::budget
