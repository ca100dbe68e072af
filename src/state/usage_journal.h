// The usage journal: how an answer's usage becomes durable with one write(2) instead of a
// wait for a SQLite commit.
//
// Each I/O thread holds its own JournalWriter (UsageStore::open_journal) and writes every
// settled record to its own segment file, `<ledger>.journal/<thread>-<segment>` (0600, in a
// 0700 directory), before the answer's last bytes go out: records are staged and committed
// together with a single O_APPEND write(2) (the gateway commits once per turn of a thread's
// event loop: gateway/journal_batch.h). The page cache keeps what was written when the process
// is killed; with `synchronous: full` each write is followed by an fdatasync, so it also
// survives a power loss. The store consumes the segments in the background
// (state/sqlite_usage_store.h) and deletes each one once its writer has moved on (rotated or
// stopped) and every byte of it is in the ledger.
//
// One record is one frame:
//
//   magic "AJR1" | payload length (u32 LE) | CRC-32 of the payload (u32 LE) | payload
//
// (the payload: encode order in usage_journal.cc). A reader takes a frame only when its magic,
// a plausible length and the checksum agree; anything else (a torn tail after a crash, bytes
// damaged on disk) is skipped byte by byte up to the next frame that does, and reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "state/usage_store.h"

namespace aigw::state {

// Appends one frame holding `record` to `out`.
void append_journal_frame(const UsageRecord& record, std::string& out);

struct JournalScan {
  std::vector<UsageRecord> records;
  // Bytes from the start of the scanned text that are done with: the frames read and what was
  // skipped. The rest (an incomplete last frame of a segment still written to) is read again
  // once more has arrived.
  std::size_t consumed = 0;
  std::size_t damaged_frames = 0;  // frames with a checksum that does not match
  std::size_t skipped_bytes = 0;   // bytes skipped: damaged frames, junk, a torn tail
};

// Reads frames from `bytes`, at most `max_records`. `sealed`: nothing more will be written (a
// torn tail is skipped and counted as consumed); otherwise an incomplete or not yet matching
// last frame is left for the next read.
JournalScan scan_journal(std::string_view bytes, bool sealed, std::size_t max_records = SIZE_MAX);

// The bytes of the segment file at `path` from `offset` to its current end; nullopt when the
// file does not exist (a sealed segment never written to, or one already deleted); nothing
// when it cannot be read now.
std::optional<std::string> read_journal_from(const std::string& path, std::uint64_t offset);

// The journal directory as the store sees it: which segments exist and which are still being
// written. Shared by the store and its writers (a writer that outlives the store just leaves
// its segment for the next start).
class JournalDirectory : public std::enable_shared_from_this<JournalDirectory> {
 public:
  struct Options {
    std::string path;                             // the directory; created 0700
    std::size_t segment_bytes = 4 << 20;          // a writer starts a new segment beyond this size
    bool sync = false;                            // fdatasync after each append (synchronous: full)
    std::function<void(const std::string&)> log;  // notices (a failed fdatasync); may be empty
  };
  struct Segment {
    std::string name;
    bool sealed = false;  // its writer has moved on: nothing more will be appended
  };

  // Opens (creating) the directory; the segments found there are sealed leftovers of an
  // earlier run. New segments are numbered above `min_segment` and above every one found.
  static Result<std::shared_ptr<JournalDirectory>> open(Options options,
                                                        std::uint64_t min_segment = 0);

  // A writer for one thread (not thread-safe itself; one per I/O thread).
  std::unique_ptr<UsageJournal> writer();

  std::vector<Segment> segments() const;
  // After the segment's file was deleted.
  void forget(const std::string& name);
  const std::string& path() const { return options_.path; }
  std::string file(const std::string& name) const { return options_.path + "/" + name; }
  const Options& options() const { return options_; }

  // "<thread>-<segment>" and back; nullopt for a name that is not a segment's.
  static std::string segment_name(unsigned thread, std::uint64_t segment);
  static std::optional<std::uint64_t> segment_number(std::string_view name);

 private:
  friend class JournalWriter;
  explicit JournalDirectory(Options options) : options_(std::move(options)) {}
  std::string start_segment(unsigned thread);
  void seal(const std::string& name);

  const Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, bool> segments_;  // name → sealed
  std::uint64_t next_segment_ = 1;
  unsigned next_thread_ = 0;
};

}  // namespace aigw::state
