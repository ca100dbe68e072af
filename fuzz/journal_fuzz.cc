// libFuzzer target: the usage journal's reader (src/state/usage_journal.h). Journals are read
// back at every start (the replay after a kill -9) and may be torn or damaged on disk: a reader
// that crashed on them would keep the gateway from starting. Whatever the bytes, reading them
// in steps (as the store does, at most N records a step) must end, account for every byte it
// passes over, and each record it accepts must encode to a frame that reads back the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "state/usage_journal.h"

namespace {

using aigw::state::UsageRecord;

void require(bool ok) {
  if (!ok) std::abort();
}

bool same(const UsageRecord& a, const UsageRecord& b) {
  const bool parts_same =
      a.part_counts.has_value() == b.part_counts.has_value() &&
      (!a.part_counts || (a.part_counts->requests == b.part_counts->requests &&
                          a.part_counts->unpriced == b.part_counts->unpriced &&
                          a.part_counts->estimated == b.part_counts->estimated));
  return a.request_id == b.request_id && a.team == b.team && a.client == b.client &&
         a.provider == b.provider && a.model == b.model && a.period_key == b.period_key &&
         a.at == b.at && a.cost_micros == b.cost_micros && a.priced == b.priced &&
         a.usage.input_tokens == b.usage.input_tokens &&
         a.usage.output_tokens == b.usage.output_tokens &&
         a.usage.cached_tokens == b.usage.cached_tokens &&
         a.usage.estimated_tokens == b.usage.estimated_tokens && a.usage.known == b.usage.known &&
         parts_same;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool sealed = (data[0] & 1) != 0;
  const std::size_t max_records = 1 + (data[0] >> 1) % 8;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const auto scan = aigw::state::scan_journal(bytes.substr(pos), sealed, max_records);
    require(scan.consumed <= bytes.size() - pos);
    require(scan.skipped_bytes <= scan.consumed);
    require(scan.records.size() <= max_records);
    for (const UsageRecord& record : scan.records) {
      std::string frame;
      aigw::state::append_journal_frame(record, frame);
      const auto again = aigw::state::scan_journal(frame, true);
      require(again.records.size() == 1 && again.consumed == frame.size() &&
              again.skipped_bytes == 0 && same(again.records[0], record));
    }
    if (scan.consumed == 0) {
      // Only a journal still written to may leave bytes for later: an incomplete last frame.
      require(!sealed && scan.records.empty());
      break;
    }
    pos += scan.consumed;
  }
  return 0;
}
