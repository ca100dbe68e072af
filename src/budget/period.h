// Budget periods: daily, weekly (ISO weeks, starting Monday) and monthly, on calendar
// boundaries in UTC or at a fixed UTC offset ("+02:00", "-05:00").
//
// IANA zone names ("Europe/Berlin") are not supported yet: they need a time zone database
// and daylight-saving rules. The config rejects them at load (budget_config.cc) and asks for
// a fixed offset instead; a team in a zone with summer time resets one hour off for half the
// year until this is added.
//
// Time is passed in (`now`), never read here, so tests cross month, week and day ends.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace aigw::budget {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::sys_seconds;

enum class PeriodKind { kDaily, kWeekly, kMonthly };

// "daily", "weekly", "monthly"; nullopt otherwise.
std::optional<PeriodKind> parse_period_kind(std::string_view text);
std::string_view period_kind_name(PeriodKind kind);

// "Z", "UTC", "+00:00", "+02:00", "-05:30", "+0200"; nullopt otherwise (including zone names).
// Offsets are limited to ±14:00, the widest in use.
std::optional<std::chrono::minutes> parse_utc_offset(std::string_view text);
// "Z" for zero, else "+02:00" / "-05:30".
std::string format_utc_offset(std::chrono::minutes offset);

class BudgetPeriod {
 public:
  BudgetPeriod() = default;  // monthly, UTC
  explicit BudgetPeriod(PeriodKind kind, std::chrono::minutes utc_offset = std::chrono::minutes(0));

  // The instant the period containing `now` began, and the instant it ends (the reset time;
  // the next period's start). Both are exact UTC instants.
  TimePoint period_start(TimePoint now) const;
  TimePoint period_end(TimePoint now) const;
  // The period's name in its own calendar: "2026-11" (monthly), "2026-W48" (weekly, ISO
  // week-year, which may differ from the calendar year around New Year), "2026-11-24" (daily).
  std::string period_key(TimePoint now) const;

  PeriodKind kind() const { return kind_; }
  std::chrono::minutes utc_offset() const { return offset_; }
  bool operator==(const BudgetPeriod&) const = default;

 private:
  std::chrono::sys_days local_start_day(TimePoint now) const;

  PeriodKind kind_ = PeriodKind::kMonthly;
  std::chrono::minutes offset_{0};
};

// "2026-12-01T00:00:00Z", or with an offset "2026-12-01T00:00:00+02:00" (that local time).
std::string format_time(TimePoint t, std::chrono::minutes utc_offset = std::chrono::minutes(0));
// The same text without a heap string, for the budget headers of every answer.
struct TimeText {
  char chars[32];
  std::size_t size = 0;
  std::string_view view() const { return {chars, size}; }
};
TimeText format_time_text(TimePoint t, std::chrono::minutes utc_offset = std::chrono::minutes(0));

// Seconds between a time_point of any precision and a TimePoint, rounded down.
inline TimePoint to_seconds(Clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace aigw::budget
