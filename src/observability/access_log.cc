#include "observability/access_log.h"

#include <boost/json.hpp>

#include <chrono>
#include <ctime>

namespace aigw::observability {
namespace {

namespace json = boost::json;

std::string iso_time(std::int64_t unix_millis) {
  const std::time_t seconds = unix_millis / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_millis % 1000));
  return buf;
}

// Boost.JSON prints doubles in exponent form ("2.987E0"); log readers expect 2.987.
void append_millis(std::string& json_object, std::string_view key, double ms) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, ",\"%.*s\":%.3f", static_cast<int>(key.size()), key.data(), ms);
  json_object.insert(json_object.size() - 1, buf, static_cast<std::size_t>(n));
}

// A caller-influenced text kept to a size a log line can afford (the path comes straight from
// the request line; errors may quote what the caller sent).
json::string capped(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return json::string(text);
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;  // whole UTF-8
  json::string out(text.substr(0, limit));
  out.append("…");
  return out;
}

constexpr std::size_t kMaxLoggedPath = 512;
constexpr std::size_t kMaxLoggedError = 2048;

}  // namespace

std::string format_access_record(const AccessRecord& r, std::int64_t unix_millis) {
  json::object o;
  o["type"] = "access";
  o["time"] = iso_time(unix_millis);
  o["request_id"] = r.request_id;
  o["method"] = r.method;
  o["path"] = capped(r.path, kMaxLoggedPath);
  if (!r.provider.empty()) o["provider"] = r.provider;
  if (!r.model.empty()) o["model"] = r.model;
  if (!r.client_id.empty()) o["client_id"] = r.client_id;
  if (!r.team.empty()) o["team"] = r.team;
  if (!r.client_ip.empty()) o["client_ip"] = r.client_ip;
  o["status"] = r.status;
  o["stream"] = r.stream;
  o["bytes_in"] = r.bytes_in;
  o["bytes_out"] = r.bytes_out;
  if (r.usage.known) {
    o["input_tokens"] = r.usage.input_tokens;
    o["output_tokens"] = r.usage.output_tokens;
    o["cached_tokens"] = r.usage.cached_tokens;
  }
  if (!r.error.empty()) o["error"] = capped(r.error, kMaxLoggedError);
  std::string line = json::serialize(o);
  append_millis(line, "latency_ms", r.latency_ms);
  if (r.upstream_latency_ms) append_millis(line, "upstream_latency_ms", *r.upstream_latency_ms);
  return line;
}

AccessLog::AccessLog(bool enabled, std::FILE* out) : enabled_(enabled && out != nullptr), out_(out) {
  writer_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AccessLog::write(const AccessRecord& record) {
  if (!enabled_) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  write_line(format_access_record(record, now));
}

void AccessLog::write_line(std::string line) {
  if (out_ == nullptr) return;
  {
    std::lock_guard lock(mutex_);
    pending_ += line;
    pending_ += '\n';
  }
  wake_.notify_one();
}

void AccessLog::flush() {
  std::unique_lock lock(mutex_);
  drained_.wait(lock, [this] { return pending_.empty() && !writing_; });
}

void AccessLog::run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) break;
    batch.swap(pending_);
    writing_ = true;
    lock.unlock();
    std::fwrite(batch.data(), 1, batch.size(), out_);
    std::fflush(out_);
    batch.clear();
    lock.lock();
    writing_ = false;
    drained_.notify_all();
  }
}

}  // namespace aigw::observability
