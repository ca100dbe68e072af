// The last requests answered on the API routes, for the dashboard's "recent requests"
// (GET /admin/requests): their access log lines (who, which provider and model, status,
// tokens, latency; never a body or a token), in a fixed ring so memory stays bounded whatever
// the traffic. Per replica: each replica shows what it served.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::observability {

class RecentRequests {
 public:
  static constexpr std::size_t kDefaultCapacity = 200;
  explicit RecentRequests(std::size_t capacity = kDefaultCapacity);

  // `line` is one access log record (a JSON object, observability/access_log.h).
  void add(std::string_view line);
  // The newest `limit` records, newest first, as a JSON array.
  std::string newest_json(std::size_t limit) const;
  std::size_t capacity() const { return ring_.size(); }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> ring_;  // slots keep their allocation: no malloc once warm
  std::size_t next_ = 0;           // the slot the next line goes to
  std::size_t count_ = 0;
};

}  // namespace aigw::observability
