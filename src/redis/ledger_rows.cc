// The Redis ledger's layout: batches summed per row and period, keys, values and reports.
#include "redis/ledger_rows.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

#include "budget/period.h"

namespace aigw::redis {
namespace {

std::string utc_day(state::TimePoint t) {
  return budget::BudgetPeriod(budget::PeriodKind::kDaily).period_key(t);
}

void put_part(std::string& out, std::string_view part) {
  out += std::to_string(part.size());
  out += ':';
  out += part;
}

}  // namespace

void LedgerCounts::add(const LedgerCounts& other) {
  for (std::size_t i = 0; i < kFields; ++i) v[i] += other.v[i];
}

void LedgerBatch::add(const state::UsageRecord& r) {
  LedgerCounts& row = rows[{utc_day(r.at), ledger_row_key(r.team, r.client, r.provider, r.model)}];
  const state::UsageRecord::Counts counts = state::request_counts(r);
  const LedgerCounts one{{r.usage.input_tokens, r.usage.output_tokens, r.usage.cached_tokens,
                          counts.requests, counts.unpriced, r.cost_micros, counts.estimated,
                          r.usage.estimated_tokens}};
  row.add(one);
  if (r.period_key.empty()) return;
  PeriodCounts& p = periods[{r.period_key, r.team}];
  p.v[0] += state::budget_tokens_of(r.usage);
  p.v[1] += r.cost_micros;
  p.v[2] += counts.requests;
}

void LedgerBatch::add_periods(const LedgerBatch& other) {
  for (const auto& [key, counts] : other.periods) {
    for (std::size_t i = 0; i < PeriodCounts::kFields; ++i) periods[key].v[i] += counts.v[i];
  }
}

void LedgerBatch::subtract_periods(const LedgerBatch& other) {
  for (const auto& [key, counts] : other.periods) {
    for (std::size_t i = 0; i < PeriodCounts::kFields; ++i) periods[key].v[i] -= counts.v[i];
  }
}

std::string ledger_row_key(std::string_view team, std::string_view client,
                           std::string_view provider, std::string_view model) {
  std::string key;
  key.reserve(team.size() + client.size() + provider.size() + model.size() + 16);
  put_part(key, team);
  put_part(key, client);
  put_part(key, provider);
  put_part(key, model);
  return key;
}

std::optional<std::array<std::string, 4>> parse_ledger_row_key(std::string_view key) {
  std::array<std::string, 4> parts;
  for (std::string& part : parts) {
    const std::size_t colon = key.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + colon, length);
    if (ec != std::errc() || end != key.data() + colon || length > key.size() - colon - 1) {
      return std::nullopt;
    }
    part.assign(key.substr(colon + 1, length));
    key.remove_prefix(colon + 1 + length);
  }
  if (!key.empty()) return std::nullopt;
  return parts;
}

std::string join_counts(const std::int64_t* values, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(values[i]);
  }
  return out;
}

bool split_counts(std::string_view text, std::int64_t* values, std::size_t n) {
  const char* at = text.data();
  const char* const end = text.data() + text.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      if (at == end || *at != ' ') return false;
      ++at;
    }
    const auto [next, ec] = std::from_chars(at, end, values[i]);
    if (ec != std::errc()) return false;
    at = next;
  }
  return at == end;
}

std::vector<budget::ReportRow> group_report(const budget::ReportQuery& query,
                                            const std::vector<std::string>& days,
                                            const std::vector<LedgerDay>& hashes) {
  using budget::ReportField;
  using Group = std::array<std::string, 5>;  // team, client, provider, model, day
  std::map<Group, LedgerCounts> groups;
  for (std::size_t d = 0; d < days.size() && d < hashes.size(); ++d) {
    for (const auto& [key, value] : hashes[d]) {
      const auto parts = parse_ledger_row_key(key);
      LedgerCounts counts;
      if (!parts || !split_counts(value, counts.v.data(), LedgerCounts::kFields)) continue;
      if (!query.team.empty() && (*parts)[0] != query.team) continue;
      if (!query.client.empty() && (*parts)[1] != query.client) continue;
      Group group;
      for (ReportField f : query.group_by) {
        const auto i = static_cast<std::size_t>(f);  // the Group's order is ReportField's
        group[i] = f == ReportField::kDay ? days[d] : (*parts)[i];
      }
      groups[group].add(counts);
    }
  }
  std::vector<std::pair<std::vector<std::string>, budget::ReportRow>> ordered;
  for (const auto& [group, c] : groups) {
    budget::ReportRow r;
    std::tie(r.team, r.client, r.provider, r.model, r.day) =
        std::tie(group[0], group[1], group[2], group[3], group[4]);
    r.input_tokens = c.v[0];
    r.output_tokens = c.v[1];
    r.cached_tokens = c.v[2];
    r.requests = c.v[3];
    r.unpriced_requests = c.v[4];
    r.cost_micros = c.v[5];
    r.estimated_requests = c.v[6];
    r.estimated_tokens = c.v[7];
    std::vector<std::string> sort_key;
    for (ReportField f : query.group_by) sort_key.push_back(group[static_cast<std::size_t>(f)]);
    ordered.emplace_back(std::move(sort_key), std::move(r));
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<budget::ReportRow> rows;
  rows.reserve(ordered.size());
  for (auto& [key, row] : ordered) rows.push_back(std::move(row));
  return rows;
}

}  // namespace aigw::redis
