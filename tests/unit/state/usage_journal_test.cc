// The usage journal: frames read back, torn tails and damaged frames skipped, segments
// rotated and deleted once consumed, and leftovers replayed into the ledger exactly once.
#include "state/usage_journal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "state/sqlite_usage_store.h"

namespace aigw::state {
namespace {

// One record through the journal, durable at once (what the gateway's group commit does for a
// turn's worth of them).
state::StoreStatus append_now(state::UsageJournal& journal, const state::UsageRecord& record) {
  std::vector<state::UsageRecord> unwritten;
  return journal.append(record, unwritten);
}

using namespace std::chrono;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "aigw-journal-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

UsageRecord record(std::string team, std::int64_t input, std::int64_t output) {
  UsageRecord r;
  r.team = std::move(team);
  r.client = "ci-bot";
  r.provider = "openai";
  r.model = "gpt-4o";
  r.usage = Usage{input, output, input / 10, true, 0};
  r.cost_micros = 250'000;
  r.at = TimePoint(sys_days{year{2026} / 11 / 24}) + hours(9);
  r.period_key = "2026-11";
  return r;
}

// Every line the store logs.
struct Log {
  std::mutex mutex;
  std::vector<std::string> lines;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex);
      lines.push_back(line);
    };
  }
  bool has(std::string_view text) {
    std::lock_guard lock(mutex);
    for (const auto& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

SqliteStoreOptions options(const std::string& path, Log* log = nullptr) {
  SqliteStoreOptions o;
  o.path = path;
  o.flush_interval = milliseconds(60'000);  // consumed on flush() only, unless said otherwise
  if (log) o.log = log->sink();
  return o;
}

std::unique_ptr<SqliteUsageStore> open_store(const SqliteStoreOptions& o) {
  auto store = SqliteUsageStore::open(o);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(store.value()) : nullptr;
}

budget::ReportRow total(UsageStore& store) {
  budget::ReportQuery q;
  q.group_by = {};
  auto rows = store.report(q);
  EXPECT_TRUE(rows.ok());
  return rows.ok() && !rows->empty() ? rows->front() : budget::ReportRow{};
}

std::int64_t budget_requests(UsageStore& store) {
  auto totals = store.period_totals();
  EXPECT_TRUE(totals.ok());
  std::int64_t n = 0;
  for (const auto& t : *totals) n += t.requests;
  return n;
}

std::vector<std::string> segments_on_disk(const std::string& ledger) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ledger + ".journal", ec))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string frames(int n, std::int64_t input = 10) {
  std::string out;
  for (int i = 0; i < n; ++i) append_journal_frame(record("platform", input + i, 5), out);
  return out;
}

TEST(JournalFrameTest, RecordsReadBackAsWritten) {
  UsageRecord r = record("platform", 1234, 56);
  r.request_id = "req-1";
  r.priced = false;
  r.usage.estimated_tokens = 7;
  std::string bytes;
  append_journal_frame(r, bytes);
  append_journal_frame(record("research", 1, 2), bytes);
  const JournalScan scan = scan_journal(bytes, false);
  ASSERT_EQ(scan.records.size(), 2u);
  EXPECT_EQ(scan.consumed, bytes.size());
  EXPECT_EQ(scan.skipped_bytes, 0u);
  const UsageRecord& back = scan.records[0];
  EXPECT_EQ(back.request_id, "req-1");
  EXPECT_EQ(back.team, "platform");
  EXPECT_EQ(back.client, "ci-bot");
  EXPECT_EQ(back.provider, "openai");
  EXPECT_EQ(back.model, "gpt-4o");
  EXPECT_EQ(back.period_key, "2026-11");
  EXPECT_EQ(back.at, r.at);
  EXPECT_EQ(back.usage.input_tokens, 1234);
  EXPECT_EQ(back.usage.output_tokens, 56);
  EXPECT_EQ(back.usage.cached_tokens, 123);
  EXPECT_EQ(back.usage.estimated_tokens, 7);
  EXPECT_TRUE(back.usage.known);
  EXPECT_FALSE(back.priced);
  EXPECT_EQ(back.cost_micros, 250'000);
  EXPECT_EQ(scan.records[1].team, "research");
}

// A journal written by a binary from before costs were whole micro-dollars (payload version
// 1: the cost as a double of dollars) is still replayed after an upgrade, rounded.
TEST(JournalFrameTest, AVersionOneFrameWithDollarsIsReadAsMicroDollars) {
  UsageRecord r = record("platform", 10, 2);
  std::string frame;
  append_journal_frame(r, frame);
  constexpr std::size_t kHeader = 12;                   // magic, length, checksum
  constexpr std::size_t kCostAt = kHeader + 1 + 5 * 8;  // version, time and four counts
  frame[kHeader] = 1;
  const double dollars = 0.1234565;  // rounds to 123'457 micro-dollars (half away from zero)
  std::memcpy(frame.data() + kCostAt, &dollars, sizeof dollars);
  // The checksum (CRC-32, IEEE) over the changed payload, bit by bit.
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = kHeader; i < frame.size(); ++i) {
    crc ^= static_cast<unsigned char>(frame[i]);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xFFFFFFFFu;
  std::memcpy(frame.data() + 8, &crc, sizeof crc);

  const JournalScan scan = scan_journal(frame, true);
  ASSERT_EQ(scan.records.size(), 1u);
  EXPECT_EQ(scan.records[0].cost_micros, 123'457);
  EXPECT_EQ(scan.records[0].team, "platform");
}

TEST(JournalFrameTest, ScanStopsAtMaxRecordsAndResumes) {
  const std::string bytes = frames(5);
  const JournalScan first = scan_journal(bytes, true, 2);
  ASSERT_EQ(first.records.size(), 2u);
  const JournalScan rest = scan_journal(std::string_view(bytes).substr(first.consumed), true);
  ASSERT_EQ(rest.records.size(), 3u);
  EXPECT_EQ(rest.records[0].usage.input_tokens, 12);
  EXPECT_EQ(first.consumed + rest.consumed, bytes.size());
}

// A crash mid-write leaves part of a frame: while the segment is written to, it is left for
// the next read; once sealed it is skipped.
TEST(JournalFrameTest, ATornTailIsLeftWhileLiveAndSkippedWhenSealed) {
  const std::string whole = frames(3);
  std::string torn = whole;
  append_journal_frame(record("platform", 99, 1), torn);
  torn.resize(torn.size() - 7);
  const JournalScan live = scan_journal(torn, false);
  EXPECT_EQ(live.records.size(), 3u);
  EXPECT_EQ(live.consumed, whole.size());
  EXPECT_EQ(live.skipped_bytes, 0u);
  const JournalScan sealed = scan_journal(torn, true);
  EXPECT_EQ(sealed.records.size(), 3u);
  EXPECT_EQ(sealed.consumed, torn.size());
  EXPECT_EQ(sealed.skipped_bytes, torn.size() - whole.size());
  // A header cut short, too.
  const JournalScan header = scan_journal(whole + "AJR", true);
  EXPECT_EQ(header.records.size(), 3u);
  EXPECT_EQ(header.skipped_bytes, 3u);
}

TEST(JournalFrameTest, AFrameWithAWrongChecksumIsSkippedAndTheNextOneRead) {
  std::string bytes = frames(3);
  const std::size_t one = bytes.size() / 3;
  bytes[one + 30] ^= 0x40;  // inside the second frame's payload
  const JournalScan scan = scan_journal(bytes, false);
  ASSERT_EQ(scan.records.size(), 2u);
  EXPECT_EQ(scan.records[0].usage.input_tokens, 10);
  EXPECT_EQ(scan.records[1].usage.input_tokens, 12);
  EXPECT_EQ(scan.damaged_frames, 1u);
  EXPECT_EQ(scan.skipped_bytes, one);
  EXPECT_EQ(scan.consumed, bytes.size());
  // Junk between frames is skipped up to the next frame.
  const std::string junk = frames(1) + "garbage!" + frames(1);
  const JournalScan after_junk = scan_journal(junk, true);
  EXPECT_EQ(after_junk.records.size(), 2u);
  EXPECT_EQ(after_junk.skipped_bytes, 8u);
}

TEST(JournalDirectoryTest, SegmentNamesRoundTrip) {
  EXPECT_EQ(JournalDirectory::segment_name(3, 42), "3-0000000042");
  EXPECT_EQ(JournalDirectory::segment_number("3-0000000042"), 42u);
  EXPECT_FALSE(JournalDirectory::segment_number("notes.txt"));
  EXPECT_FALSE(JournalDirectory::segment_number("3-42x"));
  EXPECT_FALSE(JournalDirectory::segment_number("-42"));
}

// A stream is journaled in parts (state::usage_part): each part's request counts travel with it,
// negative ones included (an estimate replaced by the provider's smaller count).
TEST(JournalFrameTest, APartOfARequestReadsBackWithItsCounts) {
  UsageRecord first = record("platform", 100, 0);
  first.usage.estimated_tokens = 100;
  UsageRecord last = record("platform", 90, 40);
  last.cost_micros = 200'000;
  last.at = first.at + minutes(3);
  const UsageRecord part = usage_part(last, &first);
  std::string bytes;
  append_journal_frame(part, bytes);
  append_journal_frame(record("research", 1, 2), bytes);  // a whole request beside it
  const JournalScan scan = scan_journal(bytes, true);
  ASSERT_EQ(scan.records.size(), 2u);
  const UsageRecord& back = scan.records[0];
  ASSERT_TRUE(back.part_counts.has_value());
  EXPECT_EQ(back.part_counts->requests, 0);
  EXPECT_EQ(back.part_counts->estimated, -1);
  EXPECT_EQ(back.usage.input_tokens, -10);
  EXPECT_EQ(back.usage.output_tokens, 40);
  EXPECT_EQ(back.usage.estimated_tokens, -100);
  EXPECT_EQ(back.cost_micros, -50'000);
  EXPECT_EQ(back.at, first.at);  // every part in the first one's day and period
  EXPECT_FALSE(scan.records[1].part_counts.has_value());
  EXPECT_EQ(request_counts(scan.records[1]).requests, 1);
}

// What a stream leaves in the journal: its charge at the start (an estimate), a correction while
// it runs, and the rest at its end. The ledger sums them to one request with the final counts;
// when the gateway was killed after the first part, that part is the request's charge.
TEST(UsageJournalTest, AStreamJournaledInPartsCountsAsOneRequestWithItsFinalUsage) {
  TempDir dir;
  auto store = open_store(options(dir.file("aigw.db")));
  ASSERT_TRUE(store);
  auto journal = store->open_journal();
  UsageRecord start = record("platform", 100, 0);
  start.usage.estimated_tokens = 100;
  start.cost_micros = 100'000;
  UsageRecord running = start;
  running.usage.output_tokens = 30;
  running.usage.estimated_tokens = 130;
  running.cost_micros = 160'000;
  UsageRecord end = record("platform", 90, 40);  // the provider's counts
  end.cost_micros = 170'000;
  ASSERT_FALSE(append_now(*journal, usage_part(start, nullptr)));
  ASSERT_FALSE(append_now(*journal, usage_part(running, &start)));
  ASSERT_FALSE(append_now(*journal, usage_part(end, &running)));
  ASSERT_FALSE(append_now(*journal, usage_part(start, nullptr)));  // another stream, cut after it
  ASSERT_FALSE(store->flush());
  const budget::ReportRow row = total(*store);
  EXPECT_EQ(row.requests, 2);
  EXPECT_EQ(row.input_tokens, 190);
  EXPECT_EQ(row.output_tokens, 40);
  EXPECT_EQ(row.cost_micros, 270'000);
  EXPECT_EQ(row.estimated_requests, 1);  // only the cut one
  EXPECT_EQ(row.estimated_tokens, 100);
  EXPECT_EQ(budget_requests(*store), 2);
}

TEST(UsageJournalTest, JournaledRecordsReachTheLedgerAndTheFilesArePrivate) {
  TempDir dir;
  const std::string ledger = dir.file("aigw.db");
  const mode_t old = ::umask(022);
  auto store = open_store(options(ledger));
  ASSERT_TRUE(store);
  auto journal = store->open_journal();
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(append_now(*journal, record("platform", 10, 5)));
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat((ledger + ".journal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const auto names = segments_on_disk(ledger);
  ASSERT_EQ(names.size(), 1u);
  ASSERT_EQ(::stat((ledger + ".journal/" + names[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(total(*store).requests, 0);  // not consumed yet: the tick is a minute away
  ASSERT_FALSE(store->flush());
  EXPECT_EQ(total(*store).requests, 10);
  EXPECT_EQ(total(*store).input_tokens, 100);
  EXPECT_EQ(budget_requests(*store), 10);
  EXPECT_EQ(store->stats().journaled, 10u);
  // The segment is still written to: kept, and not read twice.
  ASSERT_FALSE(append_now(*journal, record("platform", 10, 5)));
  ASSERT_FALSE(store->flush());
  EXPECT_EQ(total(*store).requests, 11);
  EXPECT_EQ(segments_on_disk(ledger).size(), 1u);
  // Its writer goes: sealed, consumed, deleted.
  journal.reset();
  ASSERT_FALSE(store->flush());
  EXPECT_TRUE(segments_on_disk(ledger).empty());
  EXPECT_EQ(total(*store).requests, 11);
}

// Group commit: staged records go out together in one commit (one segment, read back whole);
// a commit that cannot write gives every staged record back, none half written.
TEST(UsageJournalTest, StagedRecordsAreWrittenTogetherAndAFailedWriteGivesThemBack) {
  TempDir dir;
  const std::string ledger = dir.file("aigw.db");
  auto store = open_store(options(ledger));
  ASSERT_TRUE(store);
  auto journal = store->open_journal();
  std::vector<UsageRecord> unwritten;
  EXPECT_FALSE(journal->has_staged());
  EXPECT_FALSE(journal->commit(unwritten));  // nothing staged: nothing written
  EXPECT_TRUE(segments_on_disk(ledger).empty());
  for (int i = 0; i < 3; ++i) journal->stage(record("platform", 10, 5));
  EXPECT_TRUE(journal->has_staged());
  EXPECT_TRUE(segments_on_disk(ledger).empty());  // staged is not written
  ASSERT_FALSE(journal->commit(unwritten));
  EXPECT_FALSE(journal->has_staged());
  EXPECT_TRUE(unwritten.empty());
  const auto names = segments_on_disk(ledger);
  ASSERT_EQ(names.size(), 1u);
  const auto bytes = read_journal_from(ledger + ".journal/" + names[0], 0);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(scan_journal(*bytes, true).records.size(), 3u);

  // A new writer, whose segment cannot be created: the journal's directory is gone.
  journal = store->open_journal();
  journal->stage(record("platform", 1, 1));
  journal->stage(record("research", 2, 2));
  fs::remove_all(ledger + ".journal");
  const auto error = journal->commit(unwritten);
  ASSERT_TRUE(error);
  ASSERT_EQ(unwritten.size(), 2u);
  EXPECT_EQ(unwritten[0].team, "platform");
  EXPECT_EQ(unwritten[1].team, "research");
  EXPECT_EQ(unwritten[1].usage.input_tokens, 2);
  EXPECT_FALSE(journal->has_staged());
}

TEST(UsageJournalTest, TheWriterConsumesOnItsOwnEveryFlushInterval) {
  TempDir dir;
  SqliteStoreOptions o = options(dir.file("aigw.db"));
  o.flush_interval = milliseconds(20);
  auto store = open_store(o);
  ASSERT_TRUE(store);
  auto journal = store->open_journal();
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(append_now(*journal, record("platform", 1, 1)));
  const auto deadline = steady_clock::now() + seconds(5);
  while (store->stats().journaled < 3 && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(store->stats().journaled, 3u);
}

TEST(UsageJournalTest, SegmentsRotateAndAreDeletedOnceConsumed) {
  TempDir dir;
  const std::string ledger = dir.file("aigw.db");
  SqliteStoreOptions o = options(ledger);
  o.journal_segment_bytes = 3 * frames(1).size();  // a new segment every three records
  o.batch_rows = 4;                                // and several transactions per flush
  auto store = open_store(o);
  ASSERT_TRUE(store);
  auto a = store->open_journal();
  auto b = store->open_journal();
  for (int i = 0; i < 10; ++i) {
    ASSERT_FALSE(append_now(*a, record("platform", 10, 5)));
    ASSERT_FALSE(append_now(*b, record("research", 1, 1)));
  }
  EXPECT_EQ(segments_on_disk(ledger).size(), 8u);  // 4 per thread: 3 + 3 + 3 + 1
  ASSERT_FALSE(store->flush());
  // The sealed ones are gone; each writer's current segment stays.
  const auto left = segments_on_disk(ledger);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].substr(0, 2), "0-");
  EXPECT_EQ(left[1].substr(0, 2), "1-");
  EXPECT_EQ(total(*store).requests, 20);
  EXPECT_EQ(total(*store).input_tokens, 110);
}

TEST(UsageJournalTest, ADamagedRecordIsSkippedWithALogLineAndTheRestCounted) {
  TempDir dir;
  const std::string ledger = dir.file("aigw.db");
  {
    auto store = open_store(options(ledger));  // creates the directory
    ASSERT_TRUE(store);
  }
  std::string bytes = frames(3);
  bytes[bytes.size() / 3 + 30] ^= 0x40;
  { std::ofstream(ledger + ".journal/0-0000000007", std::ios::binary) << bytes; }
  Log log;
  auto store = open_store(options(ledger, &log));
  ASSERT_TRUE(store);
  EXPECT_EQ(total(*store).requests, 2);
  EXPECT_TRUE(log.has("1 records with a wrong checksum"))
      << (log.lines.empty() ? "no log line" : log.lines[0]);
  EXPECT_TRUE(log.has("0-0000000007"));
  EXPECT_TRUE(segments_on_disk(ledger).empty());
  // New segments are numbered above the leftovers.
  auto journal = store->open_journal();
  ASSERT_FALSE(append_now(*journal, record("platform", 1, 1)));
  const auto names = segments_on_disk(ledger);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_GT(JournalDirectory::segment_number(names[0]).value_or(0), 7u);
}

// The ledger committed a segment to its end, but the process died before the file was
// deleted: the restart finds the segment and its progress row, adds nothing, deletes it.
TEST(UsageJournalTest, ACrashBetweenTheCommitAndTheDeletionCountsNothingTwice) {
  TempDir dir;
  const std::string ledger = dir.file("aigw.db");
  std::unique_ptr<UsageJournal> journal;
  {
    auto store = open_store(options(ledger));
    ASSERT_TRUE(store);
    journal = store->open_journal();
    for (int i = 0; i < 5; ++i) ASSERT_FALSE(append_now(*journal, record("platform", 10, 5)));
    ASSERT_FALSE(store->flush());  // committed, and how far; the segment is still live
    EXPECT_EQ(total(*store).requests, 5);
  }  // "crash": the segment was never sealed, so never deleted
  ASSERT_EQ(segments_on_disk(ledger).size(), 1u);
  journal.reset();  // the writer of the dead store seals nothing on disk
  {
    auto store = open_store(options(ledger));
    ASSERT_TRUE(store);
    EXPECT_EQ(total(*store).requests, 5);
    EXPECT_EQ(budget_requests(*store), 5);
    EXPECT_TRUE(segments_on_disk(ledger).empty());
  }
  auto store = open_store(options(ledger));
  EXPECT_EQ(total(*store).requests, 5);
}

// kill -9 with records journaled but not consumed (and some consumed): the restart replays
// exactly what the ledger is missing, once.
TEST(UsageJournalTest, AKillNineLosesNothingJournaledAndReplaysItOnce) {
  TempDir dir;
  const std::string ledger = dir.file("aigw.db");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = SqliteUsageStore::open(options(ledger));
    if (!store.ok()) _exit(2);
    auto journal = (*store)->open_journal();
    for (int i = 0; i < 100; ++i) {
      if (append_now(*journal, record("platform", 10, 5))) _exit(3);
    }
    if ((*store)->flush()) _exit(4);
    for (int i = 0; i < 50; ++i) {
      if (append_now(*journal, record("platform", 10, 5))) _exit(5);
    }
    raise(SIGKILL);
    _exit(6);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  {
    auto store = open_store(options(ledger));
    ASSERT_TRUE(store);
    EXPECT_EQ(total(*store).requests, 150);
    EXPECT_EQ(total(*store).input_tokens, 1'500);
    EXPECT_EQ(budget_requests(*store), 150);
    EXPECT_TRUE(segments_on_disk(ledger).empty());
  }
  auto store = open_store(options(ledger));
  EXPECT_EQ(total(*store).requests, 150);
}

TEST(UsageJournalTest, SynchronousFullStillWritesAndReadsBack) {
  TempDir dir;
  SqliteStoreOptions o = options(dir.file("aigw.db"));
  o.synchronous_full = true;
  auto store = open_store(o);
  ASSERT_TRUE(store);
  auto journal = store->open_journal();
  ASSERT_FALSE(append_now(*journal, record("platform", 3, 4)));
  ASSERT_FALSE(store->flush());
  EXPECT_EQ(total(*store).output_tokens, 4);
}

}  // namespace
}  // namespace aigw::state
