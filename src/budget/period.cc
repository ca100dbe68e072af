// Calendar arithmetic for budget periods with <chrono>'s civil calendar (no time zone database).
#include "budget/period.h"

namespace aigw::budget {
namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::sys_days;

bool two_digits(std::string_view s, int& out) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
  out = (s[0] - '0') * 10 + (s[1] - '0');
  return true;
}

// The Monday that starts the ISO week containing `d`.
sys_days monday_of(sys_days d) {
  const std::chrono::weekday wd{d};
  return d - days((wd.c_encoding() + 6) % 7);  // Monday = 0 … Sunday = 6
}

// `value` in `width` decimal digits, zero-padded (width <= 4, 0 <= value).
void append_digits(std::string& out, long value, int width) {
  char digits[4];
  for (int i = width - 1; i >= 0; --i, value /= 10) digits[i] = static_cast<char>('0' + value % 10);
  out.append(digits, static_cast<std::size_t>(width));
}

}  // namespace

std::optional<PeriodKind> parse_period_kind(std::string_view text) {
  if (text == "daily") return PeriodKind::kDaily;
  if (text == "weekly") return PeriodKind::kWeekly;
  if (text == "monthly") return PeriodKind::kMonthly;
  return std::nullopt;
}

std::string_view period_kind_name(PeriodKind kind) {
  switch (kind) {
    case PeriodKind::kDaily:
      return "daily";
    case PeriodKind::kWeekly:
      return "weekly";
    case PeriodKind::kMonthly:
      return "monthly";
  }
  return "monthly";
}

std::optional<minutes> parse_utc_offset(std::string_view text) {
  if (text == "Z" || text == "UTC" || text == "utc") return minutes(0);
  if (text.size() != 6 && text.size() != 5) return std::nullopt;
  if (text[0] != '+' && text[0] != '-') return std::nullopt;
  int h = 0;
  int m = 0;
  const std::string_view mm = text.size() == 6 ? text.substr(4, 2) : text.substr(3, 2);
  if (!two_digits(text.substr(1, 2), h) || !two_digits(mm, m)) return std::nullopt;
  if (text.size() == 6 && text[3] != ':') return std::nullopt;
  if (m >= 60 || h * 60 + m > 14 * 60) return std::nullopt;
  const minutes offset(h * 60 + m);
  return text[0] == '-' ? -offset : offset;
}

std::string format_utc_offset(minutes offset) {
  if (offset.count() == 0) return "Z";
  const long total = offset.count() < 0 ? -offset.count() : offset.count();
  std::string out(1, offset.count() < 0 ? '-' : '+');
  append_digits(out, total / 60 % 100, 2);
  out += ':';
  append_digits(out, total % 60, 2);
  return out;
}

BudgetPeriod::BudgetPeriod(PeriodKind kind, minutes utc_offset)
    : kind_(kind), offset_(utc_offset) {}

sys_days BudgetPeriod::local_start_day(TimePoint now) const {
  const sys_days today = std::chrono::floor<days>(now + offset_);  // the local calendar day
  switch (kind_) {
    case PeriodKind::kDaily:
      return today;
    case PeriodKind::kWeekly:
      return monday_of(today);
    case PeriodKind::kMonthly: {
      const std::chrono::year_month_day ymd{today};
      return sys_days{ymd.year() / ymd.month() / 1};
    }
  }
  return today;
}

TimePoint BudgetPeriod::period_start(TimePoint now) const {
  // Local midnight of the first day, as a UTC instant.
  return TimePoint(local_start_day(now)) - offset_;
}

TimePoint BudgetPeriod::period_end(TimePoint now) const {
  const sys_days first = local_start_day(now);
  sys_days next = first;
  switch (kind_) {
    case PeriodKind::kDaily:
      next = first + days(1);
      break;
    case PeriodKind::kWeekly:
      next = first + days(7);
      break;
    case PeriodKind::kMonthly: {
      const std::chrono::year_month_day ymd{first};
      next = sys_days{(ymd.year() / ymd.month() / 1) + std::chrono::months(1)};
      break;
    }
  }
  return TimePoint(next) - offset_;
}

std::string BudgetPeriod::period_key(TimePoint now) const {
  const sys_days first = local_start_day(now);
  const std::chrono::year_month_day ymd{first};
  std::string key;
  key.reserve(10);
  switch (kind_) {
    case PeriodKind::kDaily:    // 2026-12-03
    case PeriodKind::kMonthly:  // 2026-12
      append_digits(key, static_cast<int>(ymd.year()) % 10000, 4);
      key += '-';
      append_digits(key, static_cast<unsigned>(ymd.month()), 2);
      if (kind_ == PeriodKind::kDaily) {
        key += '-';
        append_digits(key, static_cast<unsigned>(ymd.day()), 2);
      }
      break;
    case PeriodKind::kWeekly: {  // 2026-W49
      // ISO 8601: the week belongs to the year of its Thursday; week 1 holds January 4th.
      const sys_days thursday = first + days(3);
      const std::chrono::year iso_year = std::chrono::year_month_day{thursday}.year();
      const sys_days jan1{iso_year / std::chrono::January / 1};
      append_digits(key, static_cast<int>(iso_year) % 10000, 4);
      key += "-W";
      append_digits(key, (thursday - jan1).count() / 7 + 1, 2);
      break;
    }
  }
  return key;
}

TimeText format_time_text(TimePoint t, minutes utc_offset) {
  const auto local = t + utc_offset;
  const sys_days day = std::chrono::floor<days>(local);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{local - day};
  TimeText text;
  char* p = text.chars;
  const auto digits = [&p](long value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) p[i] = static_cast<char>('0' + value % 10);
    p += width;
  };
  digits(static_cast<int>(ymd.year()) % 10000, 4);
  *p++ = '-';
  digits(static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  digits(static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  digits(hms.hours().count(), 2);
  *p++ = ':';
  digits(hms.minutes().count(), 2);
  *p++ = ':';
  digits(hms.seconds().count(), 2);
  if (utc_offset.count() == 0) {
    *p++ = 'Z';
  } else {
    const long total = utc_offset.count() < 0 ? -utc_offset.count() : utc_offset.count();
    *p++ = utc_offset.count() < 0 ? '-' : '+';
    digits(total / 60 % 100, 2);
    *p++ = ':';
    digits(total % 60, 2);
  }
  text.size = static_cast<std::size_t>(p - text.chars);
  return text;
}

std::string format_time(TimePoint t, minutes utc_offset) {
  return std::string(format_time_text(t, utc_offset).view());
}

}  // namespace aigw::budget
