#include "observability/recent_requests.h"

#include <algorithm>

namespace aigw::observability {

RecentRequests::RecentRequests(std::size_t capacity) : ring_(std::max<std::size_t>(capacity, 1)) {}

void RecentRequests::add(std::string_view line) {
  std::lock_guard lock(mutex_);
  ring_[next_].assign(line);
  next_ = (next_ + 1) % ring_.size();
  count_ = std::min(count_ + 1, ring_.size());
}

std::string RecentRequests::newest_json(std::size_t limit) const {
  std::string out = "[";
  std::lock_guard lock(mutex_);
  const std::size_t n = std::min(limit, count_);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    out += ring_[(next_ + ring_.size() - 1 - i) % ring_.size()];
  }
  out += ']';
  return out;
}

}  // namespace aigw::observability
