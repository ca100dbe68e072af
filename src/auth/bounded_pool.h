// A few threads for slow, CPU-bound work (the token endpoint's PBKDF2) with a bounded backlog:
// when it is full, try_post refuses at once, so a burst of requests is shed with a 503 instead
// of queueing without end or stalling the I/O threads. No Asio: the gateway resumes its
// coroutine from the job.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace aigw::auth {

class BoundedPool {
 public:
  // `threads` run jobs; at most `max_waiting` more wait for one.
  BoundedPool(int threads, std::size_t max_waiting);
  ~BoundedPool();
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  // Queues `job`, or returns false (and drops it) when threads + max_waiting jobs are pending.
  bool try_post(std::function<void()> job);
  // Lets the running jobs finish, drops the waiting ones (destroying them on this thread),
  // and joins the threads. try_post refuses afterwards. Idempotent.
  void stop();
  std::size_t capacity() const { return capacity_; }

 private:
  void run();

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> waiting_;
  std::size_t pending_ = 0;  // waiting + running
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace aigw::auth
