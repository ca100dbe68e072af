// An immutable value that many threads read and one thread occasionally replaces whole (the
// config on SIGHUP, an issuer's keys on a JWKS refresh). Readers take a shared_ptr copy and
// keep using it while a new one is stored.
//
// A mutex, not std::atomic<std::shared_ptr>: libstdc++ 12 implements the latter with a lock
// bit hidden in the control-block pointer that ThreadSanitizer does not see, and the copy
// under an uncontended mutex costs tens of nanoseconds, once per request.
#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace aigw {

template <typename T>
class Snapshot {
 public:
  Snapshot() = default;
  explicit Snapshot(std::shared_ptr<const T> value) : value_(std::move(value)) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }
  void store(std::shared_ptr<const T> value) {
    std::shared_ptr<const T> old;
    {
      std::lock_guard lock(mutex_);
      old = std::exchange(value_, std::move(value));
    }
    // `old` is released here, outside the lock: the last reference may free a large value.
  }
  Snapshot& operator=(std::shared_ptr<const T> value) {
    store(std::move(value));
    return *this;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
};

}  // namespace aigw
