#include "gateway/journal_batch.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>
#include <vector>

namespace aigw::gateway {

JournalBatch::JournalBatch(net::io_context& io, state::UsageStore* store)
    : io_(io), store_(store), wake_(io, net::steady_timer::time_point::max()) {}

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
  if (*in_flight_ <= 1 && !commit_posted_) {  // alone: nothing to wait for
    status = commit_now();
    return true;
  }
  return false;
}

net::awaitable<state::StoreStatus> JournalBatch::committed() {
  if (state::StoreStatus status; committed_at_once(status)) co_return status;
  const std::shared_ptr<Round> round = round_;
  if (!commit_posted_) {
    // Posted: it runs after the completions already queued in this turn, whose answers
    // stage their records too.
    commit_posted_ = true;
    net::post(io_, [this] {
      commit_posted_ = false;
      const auto done = std::exchange(round_, std::make_shared<Round>());
      done->status = commit_now();
      wake_.cancel();
    });
  }
  boost::system::error_code ignored;  // operation_aborted: the commit is done
  co_await wake_.async_wait(net::redirect_error(net::use_awaitable, ignored));
  co_return round->status;
}

}  // namespace aigw::gateway
