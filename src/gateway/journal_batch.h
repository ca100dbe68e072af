// One worker's usage journal with group commit. Settling an answer stages its record
// (settle_usage); the answer's end waits for committed(), which writes everything staged on
// this thread with one write(2) at the end of the current turn of the event loop: under load
// the answers of one turn share a write, and each still ends only once its usage is durable
// against a kill -9. A request alone on its worker (InFlight) commits at once: there is
// nobody to share the write with, and waiting for the turn would only add latency.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>

#include "state/usage_store.h"

namespace aigw::gateway {

namespace net = boost::asio;

class JournalBatch {
 public:
  // `store` may be null (no ledger): nothing is journaled then.
  JournalBatch(net::io_context& io, state::UsageStore* store);
  // Writes what is still staged.
  ~JournalBatch();
  JournalBatch(const JournalBatch&) = delete;
  JournalBatch& operator=(const JournalBatch&) = delete;

  // This thread's journal, opened on first use; null without a store.
  state::UsageJournal* journal();
  // Returns once what was staged before the call is durable: nullopt, or the error of its
  // write (the records then went to the store's queue: counted, not durable). At once when
  // nothing is staged.
  net::awaitable<state::StoreStatus> committed();
  // committed() when it need not wait (nothing staged, or this request is alone on the
  // worker: written now): true, and `status` set. False: co_await committed().
  bool committed_at_once(state::StoreStatus& status);
  // Writes what is staged now, without waiting for the turn to end.
  state::StoreStatus commit_now();

  // Held by each request the worker serves, for its duration: a request alone on its worker
  // has nobody to share a write with, and commits at once instead of waiting for the turn.
  // It shares the count rather than pointing at the batch: a stream still stuck when the
  // drain gives up is destroyed after the worker.
  class InFlight {
   public:
    explicit InFlight(const JournalBatch& batch) : count_(batch.in_flight_) { ++*count_; }
    ~InFlight() { --*count_; }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    std::shared_ptr<int> count_;
  };

 private:
  struct Round {
    bool written = false;
    state::StoreStatus status;
  };

  net::io_context& io_;
  state::UsageStore* store_;
  std::unique_ptr<state::UsageJournal> journal_;
  // The round the records staged now belong to; its first waiter back from the queue writes
  // it, the others find it written.
  std::shared_ptr<Round> round_ = std::make_shared<Round>();
  int waiting_ = 0;  // waiters sent to the back of the queue, not back yet
  std::shared_ptr<int> in_flight_ = std::make_shared<int>(0);  // requests being served here
};

}  // namespace aigw::gateway
