// The JSON access log: one line per request on stdout, written by a background thread so the
// request path never waits on a slow stdout consumer. Never holds keys or tokens.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/usage.h"

namespace aigw::observability {

struct AccessRecord {
  std::string request_id;
  std::string method;
  std::string path;  // without the query string
  std::string provider;
  std::string model;
  std::string client_id;
  std::string team;
  std::string client_ip;
  int status = 0;
  bool stream = false;
  double latency_ms = 0;
  std::optional<double> upstream_latency_ms;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  Usage usage;
  std::string error;     // the message of an error answer, when there was one
  int attempts = 0;      // upstream attempts (retries and fallbacks included); 0: none made
  std::string target;    // routed requests: the target that answered, e.g. config.targets[1]
  std::string trace_id;  // from a valid W3C traceparent, when the caller sent one
  // For metrics (not logged): the cost charged, and the limit that refused the request.
  std::int64_t cost_micros = 0;
  std::string_view limited_by;       // "ip", "team", "client", "budget" or empty
  std::string_view route = "other";  // router::route_label
};

std::string format_access_record(const AccessRecord& r, std::int64_t unix_millis);

class AccessLog {
 public:
  // `out` is not owned; nullptr or enabled=false disables the log.
  AccessLog(bool enabled, std::FILE* out);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(const AccessRecord& record);
  // Writes a line as is (start and shutdown messages), in order with the records.
  void write_line(std::string line);
  // Blocks until everything queued is written.
  void flush();

 private:
  void run();

  bool enabled_;
  std::FILE* out_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::string pending_;
  bool writing_ = false;
  bool stopping_ = false;
  bool idle_ = true;  // the writer waits for a notify (else it looks again within a moment)
  int flush_waiters_ = 0;
  std::thread writer_;
};

}  // namespace aigw::observability
