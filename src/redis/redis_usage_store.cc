// The Redis state store: journals shipped in exactly-once batches, totals read back for the
// budgets, reports and admin records read and written on the store's own thread.
#include "redis/redis_usage_store.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "auth/private_file.h"
#include "core/clock.h"
#include "redis/ledger_rows.h"
#include "redis/redis_connection.h"
#include "state/usage_journal.h"

namespace aigw::redis {
namespace {

using state::TimePoint;
using state::UsageRecord;

// Applies one batch of a journal segment — only when Redis's progress for the segment is where
// the batch starts — and moves the progress to its end. Returns the progress after the call:
// the batch's end when applied, else where Redis says the segment is (the caller re-reads).
// KEYS[1] the replica's progress hash. ARGV: segment, start, end, key prefix, row count,
// period count, then per row: day, row key, 8 counts; per period: period, team, 3 counts.
constexpr const char* kShipScript = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if cur ~= tonumber(ARGV[2]) then return cur end
local function add(key, field, values)
  local old = redis.call('HGET', key, field)
  if old then
    local i = 1
    for n in string.gmatch(old, '%-?%d+') do
      values[i] = (values[i] or 0) + tonumber(n)
      i = i + 1
    end
  end
  local parts = {}
  for j = 1, #values do parts[j] = string.format('%d', values[j]) end
  redis.call('HSET', key, field, table.concat(parts, ' '))
end
local prefix = ARGV[4]
local at = 7
for r = 1, tonumber(ARGV[5]) do
  local values = {}
  for j = 1, 8 do values[j] = tonumber(ARGV[at + 1 + j]) end
  add(prefix .. ':ledger:' .. ARGV[at], ARGV[at + 1], values)
  redis.call('SADD', prefix .. ':days', ARGV[at])
  at = at + 10
end
for p = 1, tonumber(ARGV[6]) do
  add(prefix .. ':totals:' .. ARGV[at], ARGV[at + 1],
      {tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])})
  at = at + 5
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return tonumber(ARGV[3])
)lua";

// Adds what this replica counted in rate windows and returns every replica's totals.
// ARGV: the counter's hash prefix, window ms, then per key: key, window start, counted in that
// window, counted in the one before. Returns per key: the two windows' totals. A window's hash
// lives three windows past its last write.
constexpr const char* kWindowScript = R"lua(
local base = ARGV[1]
local w = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV, 4 do
  local key, start = ARGV[i], tonumber(ARGV[i + 1])
  local current = base .. ':' .. ARGV[i + 1]
  local previous = base .. ':' .. string.format('%d', start - w)
  if tonumber(ARGV[i + 2]) > 0 then
    redis.call('HINCRBY', current, key, ARGV[i + 2])
    redis.call('PEXPIRE', current, 3 * w)
  end
  if tonumber(ARGV[i + 3]) > 0 then
    redis.call('HINCRBY', previous, key, ARGV[i + 3])
    redis.call('PEXPIRE', previous, 2 * w)
  end
  out[#out + 1] = tonumber(redis.call('HGET', current, key) or '0')
  out[#out + 1] = tonumber(redis.call('HGET', previous, key) or '0')
end
return out
)lua";

ApiError store_error(std::string message) {
  return {503, "state_unavailable", std::move(message), {}, {}, {}};
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("no random bytes for the replica id");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// This replica's id, kept beside its journals so that a restart ships them under the same id.
Result<std::string> replica_id(const std::string& path) {
  if (auto text = auth::read_text_file(path)) {
    std::string id = *text;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    if (id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos) {
      return id;
    }
    return store_error("the replica id in " + path + " is not 32 hex digits");
  }
  try {
    std::string id = random_hex(16);
    auth::write_private_file(path, id + "\n");
    return id;
  } catch (const std::exception& e) {
    return store_error("cannot write the replica id " + path + ": " + e.what());
  }
}

// The ship script's ARGV after the four fixed ones.
void append_batch_args(const LedgerBatch& batch, Command& args) {
  args.push_back(std::to_string(batch.rows.size()));
  args.push_back(std::to_string(batch.periods.size()));
  for (const auto& [key, counts] : batch.rows) {
    args.push_back(key.first);
    args.push_back(key.second);
    for (std::int64_t v : counts.v) args.push_back(std::to_string(v));
  }
  for (const auto& [key, counts] : batch.periods) {
    args.push_back(key.first);
    args.push_back(key.second);
    for (std::int64_t v : counts.v) args.push_back(std::to_string(v));
  }
}

class RedisUsageStore final : public state::UsageStore {
 public:
  RedisUsageStore(RedisStoreOptions options, RedisUrl url, std::string replica,
                  std::shared_ptr<state::JournalDirectory> journals)
      : options_(std::move(options)),
        prefix_("{" + options_.settings.key_prefix + "}"),
        replica_(std::move(replica)),
        journals_(std::move(journals)),
        own_writer_(journals_->writer()),
        tls_(url.tls ? std::make_shared<net::ssl::context>(net::ssl::context::tls_client)
                     : nullptr),
        redis_(ioc_.get_executor(), std::move(url), tls_, options_.settings.timeout) {
    if (tls_) tls_->set_default_verify_paths();
    for (const auto& s : journals_->segments()) leftover_.insert(s.name);
    last_ok_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] {
      net::co_spawn(ioc_, run_loop(), net::detached);
      ioc_.run();
    });
  }

  ~RedisUsageStore() override {
    flush();  // best effort: what is not shipped stays in the journals for the next start
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    net::post(ioc_, [this] { wake(); });
    thread_.join();
  }

  void append(UsageRecord record) override {
    std::lock_guard lock(writer_mutex_);
    std::vector<UsageRecord> unwritten;  // the journal is this store's only way to Redis
    if (auto error = own_writer_->append(record, unwritten))
      log("usage not recorded: " + error->message);
  }

  std::unique_ptr<state::UsageJournal> open_journal() override { return journals_->writer(); }

  state::StoreStatus flush() override {
    std::unique_lock lock(mutex_);
    const std::uint64_t want = ++flush_requested_;
    net::post(ioc_, [this] { wake(); });
    round_done_.wait(lock, [&] { return rounds_done_ >= want || loop_ended_; });
    return last_round_error_;
  }

  std::optional<std::string> unavailable() const override {
    std::lock_guard lock(mutex_);
    if (!last_round_error_) return std::nullopt;
    return last_round_error_->message;
  }

  Result<std::vector<state::PeriodTotal>> period_totals() override {
    return std::vector<state::PeriodTotal>{};  // reported through the sink (share_totals_with)
  }

  void share_totals_with(state::SharedTotalsSink* sink) override {
    net::post(ioc_, [this, sink] { sink_ = sink; });
    flush();  // the first totals before serving, when Redis answers; or: the old sink is done
  }

  void share_windows_with(std::vector<NamedWindowCounter> counters) override {
    net::post(ioc_,
              [this, counters = std::move(counters)]() mutable { windows_ = std::move(counters); });
    flush();
  }

  void on_admin_change(std::function<void()> changed) override {
    net::post(ioc_, [this, changed = std::move(changed)]() mutable {
      admin_changed_ = std::move(changed);
      admin_version_.reset();  // called once more at the next read
    });
    flush();
  }

  Result<std::vector<budget::ReportRow>> report(const budget::ReportQuery& query) override {
    return call<Result<std::vector<budget::ReportRow>>>(
        [this, query]() { return read_report(query); });
  }

  state::StoreStatus put_admin_record(std::string_view kind, std::string_view name,
                                      std::string_view value, TimePoint now) override {
    std::vector<Command> write{
        {"HSET", admin_key(kind), std::string(name),
         std::to_string(now.time_since_epoch().count()) + "\n" + std::string(value)},
        {"INCR", admin_version_key()}};
    return call<state::StoreStatus>([this, write]() { return run_status(write); });
  }

  Result<bool> put_admin_record_if_absent(std::string_view kind, std::string_view name,
                                          std::string_view value, TimePoint now) override {
    // The version moves only when the record was written: the replicas reload only then.
    Command write{"EVAL",
                  "if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then "
                  "redis.call('INCR', KEYS[2]) return 1 end return 0",
                  "2",
                  admin_key(kind),
                  admin_version_key(),
                  std::string(name),
                  std::to_string(now.time_since_epoch().count()) + "\n" + std::string(value)};
    return call<Result<bool>>([this, write]() -> net::awaitable<Result<bool>> {
      auto reply = co_await redis_.command(write);
      if (!reply) co_return reply.error();
      if (reply->is_error()) co_return store_error("redis refused: " + reply->text);
      co_return reply->integer == 1;
    });
  }

  state::StoreStatus delete_admin_record(std::string_view kind, std::string_view name) override {
    std::vector<Command> write{{"HDEL", admin_key(kind), std::string(name)},
                               {"INCR", admin_version_key()}};
    return call<state::StoreStatus>([this, write]() { return run_status(write); });
  }

  Result<std::vector<state::AdminRecord>> admin_records(std::string_view kind) override {
    return call<Result<std::vector<state::AdminRecord>>>(
        [this, k = std::string(kind)]() { return read_admin(k); });
  }

 private:
  using Counts = std::map<std::pair<std::string, std::string>, PeriodCounts>;

  std::string admin_key(std::string_view kind) const {
    return prefix_ + ":admin:" + std::string(kind);
  }
  std::string progress_key() const { return prefix_ + ":journal:" + replica_; }
  std::string admin_version_key() const { return prefix_ + ":admin-version"; }

  void log(const std::string& line) const {
    if (options_.log) return options_.log(line);
    std::fprintf(stderr, "aigw: %s\n", line.c_str());
  }

  void wake() {
    if (timer_) timer_->cancel();
  }

  // Runs `make()` (a coroutine) on the store's thread and waits for its result; for the admin
  // API and reports, which run on the blocking pool, never on an I/O thread.
  template <class T, class Make>
  T call(Make make) {
    std::promise<T> promise;
    auto done = promise.get_future();
    net::co_spawn(
        ioc_,
        [&]() -> net::awaitable<void> {
          try {
            promise.set_value(co_await make());
          } catch (...) {
            promise.set_exception(std::current_exception());
          }
        },
        net::detached);
    return done.get();
  }

  net::awaitable<state::StoreStatus> run_status(std::vector<Command> commands) {
    auto replies = co_await redis_.run(commands);
    if (!replies) co_return replies.error();
    for (const Reply& r : *replies) {
      if (r.is_error()) co_return store_error("redis refused: " + r.text);
    }
    co_return std::nullopt;
  }

  net::awaitable<Result<std::vector<state::AdminRecord>>> read_admin(std::string kind) {
    Command command{"HGETALL", admin_key(kind)};
    auto reply = co_await redis_.command(std::move(command));
    if (!reply) co_return reply.error();
    std::vector<state::AdminRecord> records;
    const auto& e = reply->elements;
    for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
      const std::string& stored = e[i + 1].text;
      const std::size_t newline = stored.find('\n');
      if (newline == std::string::npos) continue;
      state::AdminRecord r{kind, e[i].text, stored.substr(newline + 1),
                           TimePoint(std::chrono::seconds(std::atoll(stored.c_str())))};
      records.push_back(std::move(r));
    }
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    co_return records;
  }

  net::awaitable<Result<std::vector<budget::ReportRow>>> read_report(budget::ReportQuery query) {
    Command command{"SMEMBERS", prefix_ + ":days"};
    auto members = co_await redis_.command(std::move(command));
    if (!members) co_return members.error();
    std::vector<std::string> days;
    std::vector<Command> reads;
    for (const Reply& day : members->elements) {
      if (!query.from_day.empty() && day.text < query.from_day) continue;
      if (!query.to_day.empty() && day.text > query.to_day) continue;
      days.push_back(day.text);
      reads.push_back({"HGETALL", prefix_ + ":ledger:" + day.text});
    }
    std::vector<LedgerDay> hashes;
    if (!reads.empty()) {
      auto replies = co_await redis_.run(reads);
      if (!replies) co_return replies.error();
      for (const Reply& r : *replies) {
        LedgerDay day;
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
          day.emplace_back(r.elements[i].text, r.elements[i + 1].text);
        }
        hashes.push_back(std::move(day));
      }
    }
    co_return group_report(query, days, hashes);
  }

  // ---- the loop: ship, read totals, sleep ----

  net::awaitable<void> run_loop() {
    net::steady_timer timer(ioc_);
    timer_ = &timer;
    for (;;) {
      std::uint64_t round = 0;
      {
        std::lock_guard lock(mutex_);
        round = flush_requested_;
      }
      std::optional<ApiError> error = co_await ship_journals();
      if (!error) error = co_await read_totals();
      if (!error) error = co_await share_windows();
      note_round(error);
      {
        std::lock_guard lock(mutex_);
        last_round_error_ = error;
        rounds_done_ = round;
      }
      round_done_.notify_all();
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        if (flush_requested_ > round) continue;  // someone is waiting: no sleep
      }
      timer.expires_after(options_.settings.flush_interval);
      boost::system::error_code ignored;
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
    timer_ = nullptr;
    {
      std::lock_guard lock(mutex_);
      loop_ended_ = true;
    }
    round_done_.notify_all();
  }

  // After each round: the health state, a log line when it changes, the sink's staleness.
  void note_round(const std::optional<ApiError>& error) {
    const auto now = std::chrono::steady_clock::now();
    if (!error) {
      last_ok_ = now;
      synced_ = true;
      if (stale_ && sink_) sink_->set_shared_totals_current(true, "");
      if (windows_stale_) set_windows_current(true);
      if (failing_) log("redis " + redis_.url().redacted() + " is reachable again");
      stale_ = false;
      failing_ = false;
      return;
    }
    if (!failing_) {
      log("redis unreachable: " + error->message +
          "; usage is kept in the journals until it is back");
    }
    failing_ = true;
    progress_loaded_ = false;  // read it again from Redis once it answers
    const bool too_old = !synced_ || now - last_ok_ >= options_.settings.stale_after;
    if (too_old && !stale_ && sink_) {
      log("the other replicas' usage is out of date (no sync with redis for " +
          std::to_string(options_.settings.stale_after.count()) +
          "ms): budgets follow state.on_failure.budgets");
      stale_ = true;
      sink_->set_shared_totals_current(false, error->message);
    }
    if (too_old && !windows_stale_ && !windows_.empty()) {
      log("the other replicas' rate-limit counts are out of date: limits follow "
          "state.on_failure.limits");
      set_windows_current(false);
    }
  }

  void set_windows_current(bool current) {
    windows_stale_ = !current;
    for (const auto& [name, counter] : windows_) counter->set_shared_current(current);
  }

  net::awaitable<std::optional<ApiError>> ship_journals() {
    if (!progress_loaded_) {
      Command command{"HGETALL", progress_key()};
      auto reply = co_await redis_.command(std::move(command));
      if (!reply) co_return reply.error();
      std::map<std::string, std::uint64_t> remote;
      const auto& e = reply->elements;
      for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
        remote[e[i].text] = std::strtoull(e[i + 1].text.c_str(), nullptr, 10);
      }
      for (const auto& s : journals_->segments()) move_progress(s.name, remote[s.name]);
      progress_loaded_ = true;
    }
    for (const auto& segment : journals_->segments()) {
      if (auto error = co_await ship_segment(segment)) co_return error;
    }
    co_return std::nullopt;
  }

  net::awaitable<std::optional<ApiError>> ship_segment(const state::JournalDirectory::Segment& s) {
    for (;;) {
      const std::uint64_t start = acked_[s.name];
      const auto bytes = state::read_journal_from(journals_->file(s.name), start);
      if (!bytes) {
        if (s.sealed) co_await forget_segment(s.name);
        co_return std::nullopt;
      }
      state::JournalScan scan = state::scan_journal(*bytes, s.sealed, options_.settings.batch_rows);
      if (scan.skipped_bytes > 0) {
        log("usage journal " + s.name + ": skipped " + std::to_string(scan.skipped_bytes) +
            " damaged or torn bytes at offset " + std::to_string(start));
      }
      if (scan.consumed == 0) {
        if (s.sealed && bytes->empty()) co_await forget_segment(s.name);
        co_return std::nullopt;
      }
      LedgerBatch batch;
      for (const UsageRecord& r : scan.records) batch.add(r);
      const std::uint64_t end = start + scan.consumed;
      Command args{"EVAL",
                   kShipScript,
                   "1",
                   progress_key(),
                   s.name,
                   std::to_string(start),
                   std::to_string(end),
                   prefix_};
      append_batch_args(batch, args);
      auto reply = co_await redis_.command(std::move(args));
      if (!reply) co_return reply.error();
      if (reply->is_error()) co_return store_error("redis refused a usage batch: " + reply->text);
      const auto progress = static_cast<std::uint64_t>(reply->integer);
      if (progress == end) {
        if (!leftover_.count(s.name)) own_.add_periods(batch);
        acked_[s.name] = end;
      } else {
        move_progress(s.name, progress);  // a lost reply, or Redis lost what it had
      }
    }
  }

  // Redis says `segment` is shipped up to `offset`: what this run counts as its own follows.
  void move_progress(const std::string& segment, std::uint64_t offset) {
    std::uint64_t& acked = acked_[segment];
    if (offset != acked && !leftover_.count(segment)) {
      const std::uint64_t from = std::min(offset, acked);
      const std::uint64_t to = std::max(offset, acked);
      const auto bytes = state::read_journal_from(journals_->file(segment), from);
      LedgerBatch between;
      if (bytes) {
        for (const UsageRecord& r :
             state::scan_journal(std::string_view(*bytes).substr(0, to - from), true).records) {
          between.add(r);
        }
      }
      if (offset > acked) {
        own_.add_periods(between);
      } else {
        own_.subtract_periods(between);
      }
    }
    acked = offset;
  }

  net::awaitable<void> forget_segment(const std::string& name) {
    ::unlink(journals_->file(name).c_str());
    journals_->forget(name);
    acked_.erase(name);
    Command command{"HDEL", progress_key(), name};
    co_await redis_.command(std::move(command));  // best effort: never reused
  }

  // The others' totals for the sink, and whether an admin record changed (the version moved).
  net::awaitable<std::optional<ApiError>> read_totals() {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(clock().wall());
    const std::vector<std::string> keys =
        sink_ ? sink_->period_keys_in_use(now) : std::vector<std::string>{};
    std::vector<Command> reads{{"GET", admin_version_key()}};
    for (const auto& k : keys) reads.push_back({"HGETALL", prefix_ + ":totals:" + k});
    auto replies = co_await redis_.run(reads);
    if (!replies) co_return replies.error();
    const std::string version = replies->front().text;
    // The first read too: what changed while this replica could not read it.
    if ((!admin_version_ || *admin_version_ != version) && admin_changed_) admin_changed_();
    admin_version_ = version;
    replies->erase(replies->begin());
    if (sink_ == nullptr) co_return std::nullopt;
    std::vector<state::PeriodTotal> others;
    for (std::size_t i = 0; i < keys.size() && i < replies->size(); ++i) {
      const auto& e = (*replies)[i].elements;
      for (std::size_t j = 0; j + 1 < e.size(); j += 2) {
        PeriodCounts total;
        if (!split_counts(e[j + 1].text, total.v.data(), PeriodCounts::kFields)) continue;
        if (const auto it = own_.periods.find({keys[i], e[j].text}); it != own_.periods.end()) {
          for (std::size_t f = 0; f < PeriodCounts::kFields; ++f) total.v[f] -= it->second.v[f];
        }
        others.push_back({e[j].text, keys[i], std::max<std::int64_t>(0, total.v[0]),
                          std::max<std::int64_t>(0, total.v[1]),
                          std::max<std::int64_t>(0, total.v[2])});
      }
    }
    sink_->set_shared_totals(keys, others);
    co_return std::nullopt;
  }

  // Each shared rate window: this replica's new counts added, every replica's totals read back.
  // Counts that fail to reach Redis are not sent again (the limits are then a little looser).
  net::awaitable<std::optional<ApiError>> share_windows() {
    const std::int64_t now_ms = clock().unix_ms();
    for (const auto& [name, counter] : windows_) {
      std::vector<state::SharedWindowCounter::Counts> counts = counter->take_unshared(now_ms);
      if (counts.empty()) continue;
      Command args{"EVAL", kWindowScript, "0", prefix_ + ":window:" + name,
                   std::to_string(counter->window_ms())};
      for (const auto& c : counts) {
        args.push_back(c.key);
        args.push_back(std::to_string(c.window_start_ms));
        args.push_back(std::to_string(c.current));
        args.push_back(std::to_string(c.previous));
      }
      auto reply = co_await redis_.command(std::move(args));
      if (!reply) co_return reply.error();
      if (reply->is_error())
        co_return store_error("redis refused the rate windows: " + reply->text);
      const auto& totals = reply->elements;
      for (std::size_t i = 0; i < counts.size() && 2 * i + 1 < totals.size(); ++i) {
        counts[i].current = totals[2 * i].integer;
        counts[i].previous = totals[2 * i + 1].integer;
        counter->set_shared(counts[i]);
      }
    }
    co_return std::nullopt;
  }

  const RedisStoreOptions options_;
  const std::string prefix_;
  const std::string replica_;
  std::shared_ptr<state::JournalDirectory> journals_;
  std::mutex writer_mutex_;
  std::unique_ptr<state::UsageJournal> own_writer_;  // append()'s records

  const Clock& clock() const { return options_.clock ? *options_.clock : default_clock_; }
  const Clock default_clock_;
  net::io_context ioc_;
  std::shared_ptr<net::ssl::context> tls_;
  RedisConnection redis_;
  std::thread thread_;

  // The store's thread only.
  net::steady_timer* timer_ = nullptr;
  state::SharedTotalsSink* sink_ = nullptr;
  std::function<void()> admin_changed_;
  std::vector<NamedWindowCounter> windows_;
  bool windows_stale_ = false;
  std::optional<std::string> admin_version_;    // as last read; nullopt before the first read
  std::set<std::string> leftover_;              // segments of earlier runs: not our counts
  std::map<std::string, std::uint64_t> acked_;  // segment → bytes Redis has
  bool progress_loaded_ = false;
  LedgerBatch own_;  // what this run shipped, per period and team (periods only)
  std::chrono::steady_clock::time_point last_ok_;
  bool synced_ = false;
  bool stale_ = false;
  bool failing_ = false;

  // Between the callers of flush() and the loop.
  mutable std::mutex mutex_;
  std::condition_variable round_done_;
  std::uint64_t flush_requested_ = 0;
  std::uint64_t rounds_done_ = 0;
  std::optional<ApiError> last_round_error_;
  bool stopping_ = false;
  bool loop_ended_ = false;
};

}  // namespace

Result<std::unique_ptr<state::UsageStore>> open_redis_usage_store(RedisStoreOptions options) {
  auto url = parse_redis_url(options.settings.url);
  if (!url) return url.error();
  const std::string& path = options.settings.path;
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto id = replica_id(path + ".replica");
  if (!id) return id.error();
  state::JournalDirectory::Options journal;
  journal.path = path + ".journal";
  journal.sync = options.settings.synchronous_full;
  journal.log = options.log;
  // Numbered above the start time in ms: a segment name is never used twice by one replica,
  // so Redis's progress for an old segment can never be taken for a new one's.
  const auto start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto journals =
      state::JournalDirectory::open(std::move(journal), static_cast<std::uint64_t>(start_ms));
  if (!journals) return journals.error();
  return std::unique_ptr<state::UsageStore>(std::make_unique<RedisUsageStore>(
      std::move(options), std::move(*url), std::move(*id), std::move(*journals)));
}

}  // namespace aigw::redis
