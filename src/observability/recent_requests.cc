#include "observability/recent_requests.h"

#include <algorithm>

namespace aigw::observability {

RecentRequests::RecentRequests(std::size_t capacity) : ring_(std::max<std::size_t>(capacity, 1)) {}

void RecentRequests::add(AccessRecord&& record, std::int64_t unix_millis) {
  std::lock_guard lock(mutex_);
  Entry& slot = ring_[next_];
  slot.record = std::move(record);
  slot.unix_millis = unix_millis;
  next_ = (next_ + 1) % ring_.size();
  count_ = std::min(count_ + 1, ring_.size());
}

std::string RecentRequests::newest_json(std::size_t limit) const {
  std::vector<Entry> newest;
  {
    // Copied out, formatted after: the request threads wait for a copy, not for the text.
    std::lock_guard lock(mutex_);
    const std::size_t n = std::min(limit, count_);
    newest.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      newest.push_back(ring_[(next_ + ring_.size() - 1 - i) % ring_.size()]);
  }
  std::string out = "[";
  for (const Entry& e : newest) {
    if (out.size() > 1) out += ',';
    out += format_access_record(e.record, e.unix_millis);
  }
  out += ']';
  return out;
}

}  // namespace aigw::observability
