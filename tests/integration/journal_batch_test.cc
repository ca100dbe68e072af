// Group commit of the usage journal (gateway/journal_batch.h): answers settled in one turn of
// a worker's event loop share one commit, each waits for it, and what cannot be written goes
// to the store's queue instead of being lost.
#include "gateway/journal_batch.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <optional>
#include <string>
#include <vector>

namespace aigw::gateway {
namespace {

using state::StoreStatus;
using state::UsageRecord;

// Counts commits; fails them (giving the records back) when told to.
class CountingJournal final : public state::UsageJournal {
 public:
  CountingJournal(int& commits, std::size_t& written, const bool& fail)
      : commits_(commits), written_(written), fail_(fail) {}
  void stage(const UsageRecord& record) override { staged_.push_back(record); }
  bool has_staged() const override { return !staged_.empty(); }
  StoreStatus commit(std::vector<UsageRecord>& unwritten) override {
    if (staged_.empty()) return std::nullopt;
    ++commits_;
    if (fail_) {
      for (auto& r : staged_) unwritten.push_back(std::move(r));
      staged_.clear();
      return ApiError{500, "state_unavailable", "disk full", 0, {}, {}};
    }
    written_ += staged_.size();
    staged_.clear();
    return std::nullopt;
  }

 private:
  int& commits_;
  std::size_t& written_;
  const bool& fail_;
  std::vector<UsageRecord> staged_;
};

// A store whose journal counts, and whose queue (append) is kept.
class QueueStore final : public state::UsageStore {
 public:
  void append(UsageRecord r) override { queued.push_back(std::move(r)); }
  std::unique_ptr<state::UsageJournal> open_journal() override {
    return std::make_unique<CountingJournal>(commits, written, fail);
  }
  StoreStatus flush() override { return std::nullopt; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  Result<std::vector<state::PeriodTotal>> period_totals() override {
    return std::vector<state::PeriodTotal>{};
  }
  Result<std::vector<budget::ReportRow>> report(const budget::ReportQuery&) override {
    return std::vector<budget::ReportRow>{};
  }
  StoreStatus put_admin_record(std::string_view, std::string_view, std::string_view,
                               state::TimePoint) override {
    return std::nullopt;
  }
  Result<bool> put_admin_record_if_absent(std::string_view, std::string_view, std::string_view,
                                          state::TimePoint) override {
    return true;
  }
  StoreStatus delete_admin_record(std::string_view, std::string_view) override {
    return std::nullopt;
  }
  Result<std::vector<state::AdminRecord>> admin_records(std::string_view) override {
    return std::vector<state::AdminRecord>{};
  }

  int commits = 0;
  std::size_t written = 0;
  bool fail = false;
  std::vector<UsageRecord> queued;
};

UsageRecord record(std::string team) {
  UsageRecord r;
  r.team = std::move(team);
  r.usage = Usage{10, 5, 0, true, 0};
  return r;
}

// One answer: stage its record, then wait for the commit (what settle_usage and
// usage_committed do), noting what the wait returned.
net::awaitable<void> answer(JournalBatch& batch, std::string team,
                            std::vector<std::optional<StoreStatus>>& results, std::size_t slot) {
  batch.journal()->stage(record(std::move(team)));
  results[slot] = co_await batch.committed();
}

TEST(JournalBatchTest, AnswersSettledInOneTurnShareOneCommitAndEachWaitsForIt) {
  net::io_context io;
  QueueStore store;
  JournalBatch batch(io, &store);
  std::vector<std::optional<StoreStatus>> results(4);
  // Three requests being served on the worker (what Worker::handle holds for each).
  const JournalBatch::InFlight a(batch), b(batch), c(batch);
  for (std::size_t i = 0; i < 3; ++i)
    net::co_spawn(io, answer(batch, "team-" + std::to_string(i), results, i), net::detached);
  io.run();
  EXPECT_EQ(store.commits, 1);
  EXPECT_EQ(store.written, 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(results[i].has_value()) << i;  // resumed
    EXPECT_FALSE(*results[i]) << i;            // committed without error
  }
  // A later answer: a commit of its own.
  io.restart();
  net::co_spawn(io, answer(batch, "later", results, 3), net::detached);
  io.run();
  EXPECT_EQ(store.commits, 2);
  EXPECT_EQ(store.written, 4u);
  ASSERT_TRUE(results[3].has_value());
  EXPECT_TRUE(store.queued.empty());
}

TEST(JournalBatchTest, ARequestAloneOnItsWorkerCommitsAtOnce) {
  net::io_context io;
  QueueStore store;
  JournalBatch batch(io, &store);
  bool committed_before_any_turn = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        const JournalBatch::InFlight alone(batch);
        batch.journal()->stage(record("a"));
        EXPECT_FALSE(co_await batch.committed());
        committed_before_any_turn = store.commits == 1;
      },
      net::detached);
  EXPECT_EQ(io.run_one(), 1u);  // the coroutine ran to its end in one step: no posted commit
  EXPECT_TRUE(committed_before_any_turn);
  EXPECT_EQ(store.written, 1u);
}

TEST(JournalBatchTest, NothingStagedReturnsAtOnceAndWritesNothing) {
  net::io_context io;
  QueueStore store;
  JournalBatch batch(io, &store);
  bool done = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        EXPECT_FALSE(co_await batch.committed());
        done = true;
      },
      net::detached);
  io.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(store.commits, 0);
}

TEST(JournalBatchTest, AFailedWriteQueuesTheRecordsInTheStoreAndEveryWaiterHearsIt) {
  net::io_context io;
  QueueStore store;
  store.fail = true;
  JournalBatch batch(io, &store);
  const JournalBatch::InFlight a(batch), b(batch);
  std::vector<std::optional<StoreStatus>> results(2);
  net::co_spawn(io, answer(batch, "a", results, 0), net::detached);
  net::co_spawn(io, answer(batch, "b", results, 1), net::detached);
  io.run();
  EXPECT_EQ(store.commits, 1);
  ASSERT_EQ(store.queued.size(), 2u);  // counted on the store's next tick: not lost
  EXPECT_EQ(store.queued[0].team, "a");
  EXPECT_EQ(store.queued[1].team, "b");
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->message, "disk full");
  }
}

TEST(JournalBatchTest, WhatIsStillStagedIsWrittenWhenTheWorkerGoes) {
  net::io_context io;
  QueueStore store;
  {
    JournalBatch batch(io, &store);
    batch.journal()->stage(record("a"));  // no turn ran to commit it
  }
  EXPECT_EQ(store.commits, 1);
  EXPECT_EQ(store.written, 1u);
}

TEST(JournalBatchTest, WithoutAStoreNothingIsJournaled) {
  net::io_context io;
  JournalBatch batch(io, nullptr);
  EXPECT_EQ(batch.journal(), nullptr);
  EXPECT_FALSE(batch.commit_now());
}

}  // namespace
}  // namespace aigw::gateway
