#include "observability/access_log.h"

#include <charconv>
#include <chrono>
#include <ctime>
#include <string_view>

#include "core/json_text.h"

namespace aigw::observability {
namespace {

// The line is built by appending to one string: no JSON tree, no printf (strings through
// core/json_text's append_json_string).
void append_key(std::string& out, std::string_view key) {
  out += ",\"";
  out += key;
  out += "\":";
}

template <typename Int>
void append_int(std::string& out, Int value) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

// Milliseconds with three decimals (2.987, never 2.987E0).
void append_millis(std::string& out, std::string_view key, double ms) {
  append_key(out, key);
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, ms, std::chars_format::fixed, 3);
  out.append(buf, r.ec == std::errc() ? r.ptr : buf);
}

void append_2(char*& p, int v) {
  *p++ = static_cast<char>('0' + v / 10 % 10);
  *p++ = static_cast<char>('0' + v % 10);
}

// 2026-12-01T12:34:56.789Z
void append_iso_time(std::string& out, std::int64_t unix_millis) {
  const std::time_t seconds = unix_millis / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  char* p = buf;
  const int year = tm.tm_year + 1900;
  append_2(p, year / 100);
  append_2(p, year);
  *p++ = '-';
  append_2(p, tm.tm_mon + 1);
  *p++ = '-';
  append_2(p, tm.tm_mday);
  *p++ = 'T';
  append_2(p, tm.tm_hour);
  *p++ = ':';
  append_2(p, tm.tm_min);
  *p++ = ':';
  append_2(p, tm.tm_sec);
  *p++ = '.';
  const int millis = static_cast<int>(unix_millis % 1000);
  *p++ = static_cast<char>('0' + millis / 100);
  append_2(p, millis);
  *p++ = 'Z';
  out += '"';
  out.append(buf, p);
  out += '"';
}

// A caller-influenced text kept to a size a log line can afford (the path comes straight from
// the request line; errors may quote what the caller sent).
void append_capped(std::string& out, std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return append_json_string(out, text);
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80)
    --limit;  // whole UTF-8
  std::string cut(text.substr(0, limit));
  cut += "…";
  append_json_string(out, cut);
}

void append_field(std::string& out, std::string_view key, std::string_view text) {
  append_key(out, key);
  append_json_string(out, text);
}

constexpr std::size_t kMaxLoggedPath = 512;
constexpr std::size_t kMaxLoggedError = 2048;

}  // namespace

std::string format_access_record(const AccessRecord& r, std::int64_t unix_millis) {
  std::string line;
  line.reserve(384 + r.path.size() + r.error.size());
  line += "{\"type\":\"access\",\"time\":";
  append_iso_time(line, unix_millis);
  append_field(line, "request_id", r.request_id);
  append_field(line, "method", r.method);
  append_key(line, "path");
  append_capped(line, r.path, kMaxLoggedPath);
  if (!r.provider.empty()) append_field(line, "provider", r.provider);
  if (!r.model.empty()) append_field(line, "model", r.model);
  if (!r.client_id.empty()) append_field(line, "client_id", r.client_id);
  if (!r.team.empty()) append_field(line, "team", r.team);
  if (!r.client_ip.empty()) append_field(line, "client_ip", r.client_ip);
  append_key(line, "status");
  append_int(line, r.status);
  append_key(line, "stream");
  line += r.stream ? "true" : "false";
  append_key(line, "bytes_in");
  append_int(line, r.bytes_in);
  append_key(line, "bytes_out");
  append_int(line, r.bytes_out);
  if (r.usage.known) {
    append_key(line, "input_tokens");
    append_int(line, r.usage.input_tokens);
    append_key(line, "output_tokens");
    append_int(line, r.usage.output_tokens);
    append_key(line, "cached_tokens");
    append_int(line, r.usage.cached_tokens);
  }
  if (!r.error.empty()) {
    append_key(line, "error");
    append_capped(line, r.error, kMaxLoggedError);
  }
  if (r.attempts > 0) {
    append_key(line, "attempts");
    append_int(line, r.attempts);
  }
  if (!r.target.empty()) append_field(line, "target", r.target);
  if (!r.trace_id.empty()) append_field(line, "trace_id", r.trace_id);
  append_millis(line, "latency_ms", r.latency_ms);
  if (r.upstream_latency_ms) append_millis(line, "upstream_latency_ms", *r.upstream_latency_ms);
  line += '}';
  return line;
}

AccessLog::AccessLog(bool enabled, std::FILE* out)
    : enabled_(enabled && out != nullptr), out_(out) {
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
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    pending_ += line;
    pending_ += '\n';
    wake = idle_;
  }
  // While lines keep coming the writer is not woken for each (a futex wake and a thread switch
  // per request): it looks again within kBatchWindow by itself.
  if (wake) wake_.notify_one();
}

void AccessLog::flush() {
  std::unique_lock lock(mutex_);
  ++flush_waiters_;
  wake_.notify_one();
  drained_.wait(lock, [this] { return pending_.empty() && !writing_; });
  --flush_waiters_;
}

void AccessLog::run() {
  constexpr auto kBatchWindow = std::chrono::milliseconds(5);
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    idle_ = true;
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    idle_ = false;
    if (pending_.empty() && stopping_) break;
    while (!pending_.empty()) {
      batch.swap(pending_);
      writing_ = true;
      lock.unlock();
      std::fwrite(batch.data(), 1, batch.size(), out_);
      std::fflush(out_);
      batch.clear();
      lock.lock();
      writing_ = false;
      drained_.notify_all();
      // More lines are likely under load: gather them for a moment instead of being woken.
      wake_.wait_for(lock, kBatchWindow, [this] { return stopping_ || flush_waiters_ > 0; });
    }
  }
}

}  // namespace aigw::observability
