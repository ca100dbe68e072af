// Journal frames (encode, scan) and the per-thread segment writer.
#include "state/usage_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace aigw::state {
namespace {

static_assert(std::endian::native == std::endian::little,
              "journal frames are written in host order");

constexpr std::string_view kMagic = "AJR1";
constexpr std::size_t kHeader = 12;                           // magic, length, checksum
constexpr std::size_t kFixedPayload = 1 + 6 * 8 + 1 + 6 * 4;  // version, numbers, flags, sizes
constexpr std::uint32_t kMaxPayload = 1 << 20;                // a record is a few hundred bytes
// 3: a record may be a part of a request (flag 4: its request counts follow the period key).
// 2: the cost in whole micro-dollars (int64). 1: in dollars (a double). Older versions are
// still read: a journal written before an upgrade is replayed by the new binary.
constexpr std::uint8_t kPayloadVersion = 3;
constexpr std::uint8_t kPayloadVersionMicros = 2;
constexpr std::uint8_t kPayloadVersionDollars = 1;
constexpr std::uint8_t kFlagPriced = 1, kFlagUsageKnown = 2, kFlagPart = 4;

// CRC-32 (IEEE, as zlib), eight bytes per step ("slicing-by-8"): table k holds the CRC of a
// byte followed by k zero bytes, so a word's eight lookups are independent of each other.
using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;
constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}
constexpr CrcTables kCrcTables = make_crc_tables();

std::uint32_t crc32(std::string_view data) {
  const auto& t = kCrcTables;
  std::uint32_t c = 0xFFFFFFFFu;
  const char* p = data.data();
  std::size_t n = data.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint32_t low, high;  // little-endian (asserted above)
    std::memcpy(&low, p, 4);
    std::memcpy(&high, p + 4, 4);
    low ^= c;
    c = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24] ^
        t[3][high & 0xFF] ^ t[2][(high >> 8) & 0xFF] ^ t[1][(high >> 16) & 0xFF] ^ t[0][high >> 24];
  }
  for (; n > 0; ++p, --n) c = t[0][(c ^ static_cast<unsigned char>(*p)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// Writes into a frame sized in advance: a record is encoded on the request path, once per
// answer, so it costs one allocation check and plain stores, not an append per field.
class FrameWriter {
 public:
  explicit FrameWriter(char* at) : at_(at) {}
  template <typename T>
  void put(T v) {
    std::memcpy(at_, &v, sizeof(T));
    at_ += sizeof(T);
  }
  void put_text(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  char* end() const { return at_; }

 private:
  char* at_;
};

// Reads the payload's fields in order; any short read makes ok false.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  T get() {
    T v{};
    if (data_.size() < sizeof(T)) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, data_.data(), sizeof(T));
    data_.remove_prefix(sizeof(T));
    return v;
  }
  std::string text() {
    const auto n = get<std::uint32_t>();
    if (!ok_ || data_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string s(data_.substr(0, n));
    data_.remove_prefix(n);
    return s;
  }
  bool ok() const { return ok_ && data_.empty(); }

 private:
  std::string_view data_;
  bool ok_ = true;
};

// Reads a frame's payload into `r` (a fresh record); false when it is not one.
bool decode(std::string_view payload, UsageRecord& r) {
  Reader in(payload);
  const auto version = in.get<std::uint8_t>();
  if (version != kPayloadVersion && version != kPayloadVersionMicros &&
      version != kPayloadVersionDollars)
    return false;
  r.at = TimePoint(std::chrono::seconds(in.get<std::int64_t>()));
  r.usage.input_tokens = in.get<std::int64_t>();
  r.usage.output_tokens = in.get<std::int64_t>();
  r.usage.cached_tokens = in.get<std::int64_t>();
  r.usage.estimated_tokens = in.get<std::int64_t>();
  r.cost_micros = version == kPayloadVersionDollars ? micros_from_usd(in.get<double>())
                                                    : in.get<std::int64_t>();
  const auto flags = in.get<std::uint8_t>();
  r.priced = (flags & kFlagPriced) != 0;
  r.usage.known = (flags & kFlagUsageKnown) != 0;
  r.request_id = in.text();
  r.team = in.text();
  r.client = in.text();
  r.provider = in.text();
  r.model = in.text();
  r.period_key = in.text();
  if ((flags & kFlagPart) != 0) {
    if (version < kPayloadVersion) return false;
    r.part_counts =
        UsageRecord::Counts{in.get<std::int64_t>(), in.get<std::int64_t>(), in.get<std::int64_t>()};
  }
  return in.ok();
}

std::uint32_t u32_at(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

std::string errno_text(int e) { return std::strerror(e); }

ApiError journal_error(std::string message) {
  return ApiError{500, "state_error", "usage journal: " + std::move(message), {}, {}, {}};
}

}  // namespace

void append_journal_frame(const UsageRecord& r, std::string& out) {
  const std::size_t start = out.size();
  const std::size_t payload_size = kFixedPayload + r.request_id.size() + r.team.size() +
                                   r.client.size() + r.provider.size() + r.model.size() +
                                   r.period_key.size() + (r.part_counts ? 3 * 8 : 0);
  out.resize(start + kHeader + payload_size);
  char* const frame = out.data() + start;
  std::memcpy(frame, kMagic.data(), kMagic.size());
  FrameWriter w(frame + kHeader);
  w.put(kPayloadVersion);
  w.put(static_cast<std::int64_t>(r.at.time_since_epoch().count()));
  w.put(static_cast<std::int64_t>(r.usage.input_tokens));
  w.put(static_cast<std::int64_t>(r.usage.output_tokens));
  w.put(static_cast<std::int64_t>(r.usage.cached_tokens));
  w.put(static_cast<std::int64_t>(r.usage.estimated_tokens));
  w.put(static_cast<std::int64_t>(r.cost_micros));
  w.put(static_cast<std::uint8_t>((r.priced ? kFlagPriced : 0) |
                                  (r.usage.known ? kFlagUsageKnown : 0) |
                                  (r.part_counts ? kFlagPart : 0)));
  w.put_text(r.request_id);
  w.put_text(r.team);
  w.put_text(r.client);
  w.put_text(r.provider);
  w.put_text(r.model);
  w.put_text(r.period_key);
  if (r.part_counts) {
    w.put(static_cast<std::int64_t>(r.part_counts->requests));
    w.put(static_cast<std::int64_t>(r.part_counts->unpriced));
    w.put(static_cast<std::int64_t>(r.part_counts->estimated));
  }
  assert(w.end() == out.data() + out.size());
  const auto length = static_cast<std::uint32_t>(payload_size);
  const std::uint32_t sum = crc32(std::string_view(frame + kHeader, payload_size));
  std::memcpy(frame + 4, &length, sizeof length);
  std::memcpy(frame + 8, &sum, sizeof sum);
}

JournalScan scan_journal(std::string_view bytes, bool sealed, std::size_t max_records) {
  JournalScan scan;
  std::size_t at = 0;
  std::size_t junk_from = std::string_view::npos;  // start of bytes being skipped
  const auto end_junk = [&](std::size_t to) {
    if (junk_from == std::string_view::npos) return;
    scan.skipped_bytes += to - junk_from;
    junk_from = std::string_view::npos;
  };
  // No frame is shorter than its header and fixed fields: room for every record up front.
  scan.records.reserve(std::min(max_records, bytes.size() / (kHeader + kFixedPayload) + 1));
  while (at < bytes.size() && scan.records.size() < max_records) {
    const std::size_t left = bytes.size() - at;
    if (left < kHeader || bytes.substr(at, 4) != kMagic) {
      if (left >= 4 && bytes.substr(at, 4) != kMagic) {
        if (junk_from == std::string_view::npos) junk_from = at;
        ++at;
        continue;
      }
      break;  // a header cut short: incomplete
    }
    const std::uint32_t length = u32_at(bytes, at + 4);
    if (length > kMaxPayload) {
      if (junk_from == std::string_view::npos) junk_from = at;
      ++at;
      continue;
    }
    if (left < kHeader + length) break;  // incomplete (or a torn tail)
    const std::string_view payload = bytes.substr(at + kHeader, length);
    // Decoded in place: a record is six strings, each move of it six copies.
    UsageRecord& record = scan.records.emplace_back();
    if (crc32(payload) != u32_at(bytes, at + 8) || !decode(payload, record)) {
      scan.records.pop_back();
      // A segment still written to never shows a frame half copied (write(2) extends the file
      // after copying), but its very last frame is left for the next read to be sure.
      if (!sealed && left == kHeader + length) break;
      if (junk_from == std::string_view::npos) {
        junk_from = at;
        ++scan.damaged_frames;
      }
      ++at;
      continue;
    }
    end_junk(at);
    at += kHeader + length;
    scan.consumed = at;
  }
  if (scan.records.size() >= max_records) {
    end_junk(at);
    return scan;
  }
  if (sealed) {
    // Nothing more will come: a torn tail or junk up to the end is skipped.
    if (junk_from == std::string_view::npos && at < bytes.size()) junk_from = at;
    end_junk(bytes.size());
    scan.consumed = bytes.size();
  } else if (junk_from != std::string_view::npos) {
    // Junk followed by an incomplete frame: the junk is done with, the frame is not.
    end_junk(at);
    scan.consumed = at;
  }
  return scan;
}

// One thread's segment: opened on the first append, replaced beyond segment_bytes, sealed
// when the writer goes.
class JournalWriter final : public UsageJournal {
 public:
  JournalWriter(std::shared_ptr<JournalDirectory> dir, unsigned thread)
      : dir_(std::move(dir)), thread_(thread) {}
  ~JournalWriter() override {
    if (!staged_.empty()) write_staged();  // best effort: the owner commits before it goes
    close_segment();
  }
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  void stage(const UsageRecord& record) override { append_journal_frame(record, staged_); }
  bool has_staged() const override { return !staged_.empty(); }

  StoreStatus commit(std::vector<UsageRecord>& unwritten) override {
    if (staged_.empty()) return std::nullopt;
    if (auto error = write_staged()) {
      // Read back from the frames: what a failed write leaves is not lost, only not durable.
      for (auto& record : scan_journal(staged_, true).records)
        unwritten.push_back(std::move(record));
      staged_.clear();
      return error;
    }
    staged_.clear();
    return std::nullopt;
  }

 private:
  StoreStatus write_staged() {
    if (fd_ >= 0 && size_ >= dir_->options().segment_bytes) close_segment();
    if (fd_ < 0) {
      if (auto error = open_segment()) return error;
    }
    const ssize_t n = ::write(fd_, staged_.data(), staged_.size());
    if (n != static_cast<ssize_t>(staged_.size())) {
      const int e = n < 0 ? errno : ENOSPC;
      // Nothing half written may stay before the next frame: cut it off, and start afresh.
      [[maybe_unused]] const int cut = n > 0 ? ::ftruncate(fd_, static_cast<off_t>(size_)) : 0;
      close_segment();
      return journal_error("writing " + name_ + ": " + errno_text(e));
    }
    size_ += staged_.size();
    if (dir_->options().sync && ::fdatasync(fd_) != 0) {
      // The record is written (a kill -9 cannot lose it, and it will be read): not an error
      // for the caller, who would otherwise count it a second way. Said, and a new segment
      // is started for the next one.
      const int e = errno;
      if (dir_->options().log)
        dir_->options().log("usage journal " + name_ + ": fdatasync failed: " + errno_text(e));
      close_segment();
    }
    return std::nullopt;
  }

  StoreStatus open_segment() {
    name_ = dir_->start_segment(thread_);
    const std::string path = dir_->file(name_);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      const int e = errno;
      dir_->seal(name_);
      return journal_error("cannot create " + path + ": " + errno_text(e));
    }
    size_ = 0;
    if (dir_->options().sync) {
      // The new name must survive a power loss too.
      const int d = ::open(dir_->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d >= 0) {
        ::fsync(d);
        ::close(d);
      }
    }
    return std::nullopt;
  }

  void close_segment() {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    dir_->seal(name_);
  }

  std::shared_ptr<JournalDirectory> dir_;
  const unsigned thread_;
  int fd_ = -1;
  std::string name_;
  std::size_t size_ = 0;
  std::string staged_;  // frames for the next commit (reused: no allocation once warm)
};

std::optional<std::string> read_journal_from(const std::string& path, std::uint64_t offset) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::string bytes;
  if (fd < 0) return errno == ENOENT ? std::nullopt : std::optional(bytes);  // else: next time
  char buffer[64 * 1024];
  for (off_t at = static_cast<off_t>(offset);;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, at);
    if (n <= 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
  ::close(fd);
  return bytes;
}

std::string JournalDirectory::segment_name(unsigned thread, std::uint64_t segment) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u-%010llu", thread, static_cast<unsigned long long>(segment));
  return buf;
}

std::optional<std::uint64_t> JournalDirectory::segment_number(std::string_view name) {
  const auto dash = name.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash + 1 == name.size()) return std::nullopt;
  unsigned thread = 0;
  auto r = std::from_chars(name.data(), name.data() + dash, thread);
  if (r.ec != std::errc() || r.ptr != name.data() + dash) return std::nullopt;
  std::uint64_t segment = 0;
  r = std::from_chars(name.data() + dash + 1, name.data() + name.size(), segment);
  if (r.ec != std::errc() || r.ptr != name.data() + name.size()) return std::nullopt;
  return segment;
}

Result<std::shared_ptr<JournalDirectory>> JournalDirectory::open(Options options,
                                                                 std::uint64_t min_segment) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return journal_error("cannot create " + options.path + ": " + ec.message());
  if (::chmod(options.path.c_str(), 0700) != 0) {
    return journal_error("cannot make " + options.path + " private: " + errno_text(errno));
  }
  std::shared_ptr<JournalDirectory> dir(new JournalDirectory(std::move(options)));
  std::uint64_t highest = min_segment;
  for (const auto& entry : std::filesystem::directory_iterator(dir->options_.path, ec)) {
    const std::string name = entry.path().filename().string();
    const auto number = segment_number(name);
    if (!number || !entry.is_regular_file()) continue;
    dir->segments_.emplace(name, true);
    highest = std::max(highest, *number);
  }
  if (ec) return journal_error("cannot list " + dir->options_.path + ": " + ec.message());
  dir->next_segment_ = highest + 1;
  return dir;
}

std::unique_ptr<UsageJournal> JournalDirectory::writer() {
  std::lock_guard lock(mutex_);
  const unsigned thread = next_thread_++;
  return std::make_unique<JournalWriter>(shared_from_this(), thread);
}

std::vector<JournalDirectory::Segment> JournalDirectory::segments() const {
  std::lock_guard lock(mutex_);
  std::vector<Segment> out;
  out.reserve(segments_.size());
  for (const auto& [name, sealed] : segments_) out.push_back({name, sealed});
  return out;
}

void JournalDirectory::forget(const std::string& name) {
  std::lock_guard lock(mutex_);
  segments_.erase(name);
}

std::string JournalDirectory::start_segment(unsigned thread) {
  std::lock_guard lock(mutex_);
  std::string name = segment_name(thread, next_segment_++);
  segments_[name] = false;
  return name;
}

void JournalDirectory::seal(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = segments_.find(name); it != segments_.end()) it->second = true;
}

}  // namespace aigw::state
