// The Redis state store against a real redis-server: journaled usage shipped once and read back
// as reports, two replicas that see each other's usage (and never their own twice), Redis
// down (usage kept, the store and the budgets told, delivered once when it is back), a restart
// that ships what an earlier run left, and admin records shared.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "redis/redis_connection.h"
#include "redis/redis_usage_store.h"
#include "support/aigw_process.h"
#include "support/redis_server.h"

namespace aigw::testing {
namespace {

// One record through the journal, durable at once (what the gateway's group commit does for a
// turn's worth of them).
state::StoreStatus append_now(state::UsageJournal& journal, const state::UsageRecord& record) {
  std::vector<state::UsageRecord> unwritten;
  return journal.append(record, unwritten);
}

using namespace std::chrono_literals;
using state::TimePoint;
using state::UsageRecord;

// Records what a store tells the budgets.
class RecordingSink final : public state::SharedTotalsSink {
 public:
  std::vector<std::string> period_keys_in_use(TimePoint) override { return {"2026-12"}; }
  void set_shared_totals(const std::vector<std::string>&,
                         const std::vector<state::PeriodTotal>& others) override {
    std::lock_guard lock(mutex_);
    others_.clear();
    for (const auto& t : others) others_[t.team] = t;
  }
  void set_shared_totals_current(bool current, std::string why) override {
    std::lock_guard lock(mutex_);
    current_ = current;
    why_ = std::move(why);
  }
  state::PeriodTotal others(const std::string& team) {
    std::lock_guard lock(mutex_);
    const auto it = others_.find(team);
    return it == others_.end() ? state::PeriodTotal{} : it->second;
  }
  bool current() {
    std::lock_guard lock(mutex_);
    return current_;
  }
  std::string why() {
    std::lock_guard lock(mutex_);
    return why_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, state::PeriodTotal> others_;
  bool current_ = true;
  std::string why_;
};

UsageRecord record(const std::string& team, std::int64_t in, std::int64_t out, double usd,
                   const std::string& client = "bot") {
  UsageRecord r;
  r.team = team;
  r.client = client;
  r.provider = "openai";
  r.model = "gpt-4o";
  r.usage.input_tokens = in;
  r.usage.output_tokens = out;
  r.usage.known = true;
  r.cost_micros = micros_from_usd(usd);
  r.at = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::sys_days(std::chrono::year(2026) / 12 / 2) + 12h);
  r.period_key = "2026-12";
  return r;
}

class RedisStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<state::UsageStore> open(const std::string& replica_dir, std::string url = "") {
    redis::RedisStoreOptions o;
    o.settings.backend = "redis";
    o.settings.url = url.empty() ? redis_.url() : url;
    o.settings.path = dir_.path() + "/" + replica_dir + "/aigw.db";
    o.settings.flush_interval = 20ms;
    o.settings.stale_after = 200ms;
    o.settings.timeout = 300ms;
    o.log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      log_ += line + "\n";
    };
    auto store = redis::open_redis_usage_store(std::move(o));
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(*store);
  }
  static void journal(state::UsageStore& store, const std::vector<UsageRecord>& records) {
    auto writer = store.open_journal();
    for (const auto& r : records) ASSERT_FALSE(append_now(*writer, r).has_value());
  }
  static budget::ReportRow team_total(state::UsageStore& store, const std::string& team) {
    budget::ReportQuery q;
    q.team = team;
    q.group_by = {};
    auto rows = store.report(q);
    EXPECT_TRUE(rows.ok());
    if (!rows.ok() || rows->empty()) return {};
    return rows->front();
  }
  // One command on a connection of the test's own.
  redis::Reply redis_command(redis::Command args) {
    boost::asio::io_context io;
    auto url = redis::parse_redis_url(redis_.url());
    redis::RedisConnection c(io.get_executor(), *url, nullptr, 2s);
    std::optional<Result<redis::Reply>> out;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await c.command(args)); },
        boost::asio::detached);
    io.run();
    if (!out || !out->ok()) throw std::runtime_error("redis command failed");
    return **out;
  }
  std::string log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  RedisServer redis_{{"--appendonly", "yes"}};
  TempDir dir_;
  std::mutex log_mutex_;
  std::string log_;
};

TEST_F(RedisStoreTest, ShipsJournaledUsageOnceWithExactCostsAndReportsIt) {
  auto store = open("a");
  journal(*store, {record("alpha", 10, 5, 0.1), record("alpha", 20, 1, 0.2),
                   record("beta", 1, 1, 0.000001, "other")});
  ASSERT_FALSE(store->flush().has_value());
  ASSERT_FALSE(store->flush().has_value());  // nothing shipped twice

  const auto alpha = team_total(*store, "alpha");
  EXPECT_EQ(alpha.requests, 2);
  EXPECT_EQ(alpha.input_tokens, 30);
  EXPECT_EQ(alpha.output_tokens, 6);
  EXPECT_EQ(alpha.cost_micros, 300'000);  // micro-dollars: 0.1 + 0.2 is exactly 0.3

  budget::ReportQuery by_client;
  by_client.group_by = {budget::ReportField::kClient, budget::ReportField::kDay};
  auto rows = store->report(by_client);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].client, "bot");
  EXPECT_EQ((*rows)[0].day, "2026-12-02");
  EXPECT_EQ((*rows)[1].client, "other");
  EXPECT_EQ((*rows)[1].cost_micros, 1);

  budget::ReportQuery other_days;
  other_days.from_day = "2026-12-03";
  other_days.group_by = {};
  rows = store->report(other_days);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
  EXPECT_FALSE(store->unavailable().has_value());
}

TEST_F(RedisStoreTest, TwoReplicasSeeEachOthersUsageAndNeverTheirOwnTwice) {
  RecordingSink sink_a;
  RecordingSink sink_b;
  auto a = open("a");
  auto b = open("b");
  a->share_totals_with(&sink_a);
  b->share_totals_with(&sink_b);
  journal(*a, {record("alpha", 10, 5, 0.5), record("alpha", 10, 5, 0.5)});
  journal(*b, {record("alpha", 100, 0, 1.0)});
  ASSERT_FALSE(a->flush().has_value());
  ASSERT_FALSE(b->flush().has_value());
  ASSERT_FALSE(a->flush().has_value());

  const auto seen_by_a = sink_a.others("alpha");
  EXPECT_EQ(seen_by_a.tokens, 100);  // only b's
  EXPECT_EQ(seen_by_a.requests, 1);
  EXPECT_EQ(seen_by_a.cost_micros, 1'000'000);
  const auto seen_by_b = sink_b.others("alpha");
  EXPECT_EQ(seen_by_b.tokens, 30);  // only a's
  EXPECT_EQ(seen_by_b.requests, 2);
  EXPECT_EQ(team_total(*b, "alpha").requests, 3);  // one ledger for both
}

TEST_F(RedisStoreTest, RedisDownKeepsUsageSaysSoAndDeliversItOnceWhenBack) {
  RecordingSink sink;
  auto store = open("a");
  store->share_totals_with(&sink);
  journal(*store, {record("alpha", 1, 1, 0)});
  ASSERT_FALSE(store->flush().has_value());

  redis_.kill();
  journal(*store, {record("alpha", 2, 2, 0), record("alpha", 3, 3, 0)});
  const auto error = store->flush();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->status, 503);
  ASSERT_TRUE(store->unavailable().has_value());
  EXPECT_NE(store->unavailable()->find("redis"), std::string::npos);
  // Stale once no sync succeeded for stale_after: the budgets are told.
  for (int i = 0; i < 100 && sink.current(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(sink.current());
  EXPECT_FALSE(sink.why().empty());
  EXPECT_NE(log().find("redis unreachable"), std::string::npos) << log();

  redis_.start();
  ASSERT_FALSE(store->flush().has_value());
  EXPECT_TRUE(sink.current());
  EXPECT_FALSE(store->unavailable().has_value());
  const auto total = team_total(*store, "alpha");
  EXPECT_EQ(total.requests, 3);
  EXPECT_EQ(total.input_tokens, 6);
  EXPECT_NE(log().find("reachable again"), std::string::npos) << log();
}

TEST_F(RedisStoreTest, ANewRunShipsWhatAnEarlierRunLeftExactlyOnce) {
  {
    redis_.kill();  // this run never reaches Redis: its usage stays in the journals
    auto store = open("a");
    journal(*store, {record("alpha", 1, 0, 0), record("alpha", 1, 0, 0)});
  }
  redis_.start();
  {
    RecordingSink sink;
    auto store = open("a");
    store->share_totals_with(&sink);
    ASSERT_FALSE(store->flush().has_value());
    EXPECT_EQ(team_total(*store, "alpha").requests, 2);
    // The earlier run's usage is not this run's own: the budgets see it as the others'.
    EXPECT_EQ(sink.others("alpha").requests, 2);
    journal(*store, {record("alpha", 1, 0, 0)});
  }
  auto store = open("a");
  ASSERT_FALSE(store->flush().has_value());
  EXPECT_EQ(team_total(*store, "alpha").requests, 3);
}

TEST_F(RedisStoreTest, RedisThatLostItsDataGetsTheJournalsStillOnDiskAgain) {
  RecordingSink sink;
  auto store = open("a");
  store->share_totals_with(&sink);
  // One I/O thread's journal: its segment stays on disk while the thread writes to it (a
  // segment sealed and shipped whole is deleted: Redis's persistence has to keep that).
  auto writer = store->open_journal();
  ASSERT_FALSE(append_now(*writer, record("alpha", 1, 0, 0)));
  ASSERT_FALSE(store->flush().has_value());
  // A Redis that restarted without its data (or failed over to a replica that lagged).
  ASSERT_EQ(redis_command({"FLUSHALL"}).text, "OK");
  ASSERT_FALSE(append_now(*writer, record("alpha", 1, 0, 0)));
  ASSERT_FALSE(store->flush().has_value());  // a batch refused: the progress is read again
  ASSERT_FALSE(store->flush().has_value());
  EXPECT_EQ(team_total(*store, "alpha").requests, 2);  // what the journal still holds, once
  EXPECT_EQ(sink.others("alpha").requests, 0);         // all of it this replica's own
}

TEST_F(RedisStoreTest, AdminRecordsWrittenByOneReplicaAreReadByAnother) {
  auto a = open("a");
  auto b = open("b");
  const TimePoint now(std::chrono::seconds(1'800'000'000));
  ASSERT_FALSE(a->put_admin_record("team", "alpha", R"({"budget":{"tokens":5}})", now));
  ASSERT_FALSE(a->put_admin_record("team", "beta", "{}", now));
  auto records = b->admin_records("team");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].name, "alpha");
  EXPECT_EQ((*records)[0].value, R"({"budget":{"tokens":5}})");
  EXPECT_EQ((*records)[0].updated_at, now);
  ASSERT_FALSE(b->delete_admin_record("team", "alpha"));
  records = a->admin_records("team");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].name, "beta");
}

TEST_F(RedisStoreTest, AnAdminRecordPutIfAbsentKeepsTheFirstReplicasValue) {
  auto a = open("a");
  auto b = open("b");
  const TimePoint now(std::chrono::seconds(1'800'000'000));
  auto first = a->put_admin_record_if_absent("issuer", "files", "from a", now);
  auto second = b->put_admin_record_if_absent("issuer", "files", "from b", now);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  auto records = b->admin_records("issuer");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().value, "from a");
}

TEST_F(RedisStoreTest, ABadUrlIsRefusedWithoutItsPassword) {
  redis::RedisStoreOptions o;
  o.settings.url = "redis://:s3cret@";
  o.settings.path = dir_.path() + "/x/aigw.db";
  auto store = redis::open_redis_usage_store(std::move(o));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().message.find("s3cret"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace aigw::testing
