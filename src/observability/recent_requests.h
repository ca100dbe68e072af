// The last requests answered on the API routes, for the dashboard's "recent requests"
// (GET /admin/requests): their access records (who, which provider and model, status, tokens,
// latency; never a body or a token), in a fixed ring so memory stays bounded whatever the
// traffic. A record is moved in as the request ends and formatted only when read, so keeping
// them costs the request path no formatting. Per replica: each shows what it served.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "observability/access_log.h"

namespace aigw::observability {

class RecentRequests {
 public:
  static constexpr std::size_t kDefaultCapacity = 200;
  explicit RecentRequests(std::size_t capacity = kDefaultCapacity);

  void add(AccessRecord&& record, std::int64_t unix_millis);
  // The newest `limit` records, newest first, as a JSON array of access log lines.
  std::string newest_json(std::size_t limit) const;
  std::size_t capacity() const { return ring_.size(); }

 private:
  struct Entry {
    AccessRecord record;
    std::int64_t unix_millis = 0;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> ring_;
  std::size_t next_ = 0;  // the slot the next record goes to
  std::size_t count_ = 0;
};

}  // namespace aigw::observability
