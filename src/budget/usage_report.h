// Usage reports: the query (filters, grouping), its rows, and their JSON and CSV renderings
// for the admin API (`/admin/usage?group_by=team,model&from=…&format=csv`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"

namespace aigw::budget {

enum class ReportField { kTeam, kClient, kProvider, kModel, kDay };

std::string_view report_field_name(ReportField f);
// "team,client,provider,model,day" in any order and subset; nullopt names nothing or junk.
std::optional<std::vector<ReportField>> parse_group_by(std::string_view text);

struct ReportQuery {
  std::string from_day;  // "YYYY-MM-DD", inclusive (UTC days); empty = from the beginning
  std::string to_day;    // inclusive; empty = up to now
  std::string team;      // only this team; empty = all
  std::string client;    // only this client; empty = all
  std::vector<ReportField> group_by{ReportField::kTeam};
};

// One group. Fields not grouped by are empty.
struct ReportRow {
  std::string team;
  std::string client;
  std::string provider;
  std::string model;
  std::string day;
  std::int64_t input_tokens = 0;  // including cached
  std::int64_t output_tokens = 0;
  std::int64_t cached_tokens = 0;
  std::int64_t requests = 0;
  std::int64_t unpriced_requests = 0;  // requests whose model had no price (cost counted as 0)
  Micros cost_micros = 0;
  // Requests charged (in part) by the gateway's estimate — the stream broke off or the caller
  // left before the provider's usage came — and how many of their tokens are estimates.
  std::int64_t estimated_requests = 0;
  std::int64_t estimated_tokens = 0;
};

// {"group_by":["team"],"rows":[{"team":"platform","input_tokens":…,"cost_usd":…},…],
//  "totals":{…}}
std::string render_report_json(const std::vector<ReportRow>& rows,
                               const std::vector<ReportField>& group_by);
// RFC 4180 CSV with a header line; fields that a spreadsheet would run as a formula
// (leading = + - @) are prefixed with ' so a client id cannot inject one.
std::string render_report_csv(const std::vector<ReportRow>& rows,
                              const std::vector<ReportField>& group_by);

// Is `day` a real "YYYY-MM-DD" date?
bool valid_day(std::string_view day);

}  // namespace aigw::budget
