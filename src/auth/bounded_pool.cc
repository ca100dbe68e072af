#include "auth/bounded_pool.h"

namespace aigw::auth {

BoundedPool::BoundedPool(int threads, std::size_t max_waiting)
    : capacity_(static_cast<std::size_t>(threads < 1 ? 1 : threads) + max_waiting) {
  for (int i = 0; i < (threads < 1 ? 1 : threads); ++i) threads_.emplace_back([this] { run(); });
}

BoundedPool::~BoundedPool() { stop(); }

bool BoundedPool::try_post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || pending_ >= capacity_) return false;
    ++pending_;
    waiting_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void BoundedPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(waiting_);
    pending_ -= dropped.size();
  }
  dropped.clear();  // outside the lock: a job's destructor may do anything
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void BoundedPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping
      job = std::move(waiting_.front());
      waiting_.pop_front();
    }
    job();
    job = nullptr;
    std::lock_guard lock(mutex_);
    --pending_;
  }
}

}  // namespace aigw::auth
