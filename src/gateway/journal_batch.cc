#include "gateway/journal_batch.h"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>
#include <vector>

namespace aigw::gateway {

JournalBatch::JournalBatch(net::io_context& io, state::UsageStore* store)
    : io_(io), store_(store) {}

JournalBatch::~JournalBatch() { commit_now(); }

state::UsageJournal* JournalBatch::journal() {
  if (!journal_ && store_ != nullptr) journal_ = store_->open_journal();
  return journal_.get();
}

state::StoreStatus JournalBatch::commit_now() {
  if (!journal_ || !journal_->has_staged()) return std::nullopt;
  std::vector<state::UsageRecord> unwritten;
  auto status = journal_->commit(unwritten);
  // Not durable, but not lost: counted on the store's next tick.
  for (auto& record : unwritten) store_->append(std::move(record));
  return status;
}

bool JournalBatch::committed_at_once(state::StoreStatus& status) {
  if (!journal_ || !journal_->has_staged()) {
    status = std::nullopt;
    return true;
  }
  if (*in_flight_ <= 1 && waiting_ == 0) {  // alone: nothing to wait for
    status = commit_now();
    return true;
  }
  return false;
}

net::awaitable<state::StoreStatus> JournalBatch::committed() {
  if (state::StoreStatus status; committed_at_once(status)) co_return status;
  const std::shared_ptr<Round> round = round_;
  // To the back of the event loop's queue: the completions already queued in this turn run
  // first, and their answers stage their records in the same round. (A post, not a timer
  // every waiter waits on and the commit cancels: no timer queue, lock or cancellation.)
  ++waiting_;
  co_await net::post(io_, net::use_awaitable);
  --waiting_;
  if (!round->written) {  // the first waiter back writes the round
    round_ = std::make_shared<Round>();
    round->status = commit_now();
    round->written = true;
  }
  co_return round->status;
}

}  // namespace aigw::gateway
