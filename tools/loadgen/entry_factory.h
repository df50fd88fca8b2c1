// Builds the SyncQueueEntry JSON of entry number `index` of a run.
#ifndef SYNCD_TOOLS_LOADGEN_ENTRY_FACTORY_H_
#define SYNCD_TOOLS_LOADGEN_ENTRY_FACTORY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"

namespace syncd::loadgen {

// Deterministic entry generator. Entry ids are "{run_prefix}-{index}", so a
// reply's id maps back to its index without a hash table. Entry `index` is
// sent by connection index % stride; updates and deletes only refer to
// entities created earlier on the same connection, so the server sees them
// after the create (it keeps per-tenant arrival order). Versions are the
// entry timestamps, base + index, so later entries win.
//
// Immutable after construction; any thread may call it.
class EntryFactory {
 public:
  EntryFactory(std::string run_prefix, const std::vector<MixItem>& mix, int payload_bytes,
               int64_t base_timestamp_ms, uint32_t stride);

  // Appends the entry object (not the envelope) to *out.
  void AppendEntry(uint64_t index, std::string_view tenant, std::string* out) const;

  // Parses "{run_prefix}-{index}"; false for ids of other runs.
  bool ParseId(std::string_view id, uint64_t* index) const;

  const std::string& run_prefix() const { return run_prefix_; }

 private:
  enum class Op { kCreate, kUpdate, kDelete };
  size_t TypeOf(uint64_t index) const;
  // The operation of `index` and the index whose entity it targets.
  Op OpOf(uint64_t index, uint64_t* target) const;

  std::string run_prefix_;
  std::vector<std::string> types_;
  std::vector<uint32_t> cumulative_;  // cumulative weights, parallel to types_
  uint32_t total_weight_ = 0;
  int payload_bytes_;
  int64_t base_timestamp_ms_;
  uint32_t stride_;
  std::string padding_;
};

// A fresh random run prefix, e.g. "lg7f3a9c01".
std::string NewRunPrefix();

}  // namespace syncd::loadgen

#endif  // SYNCD_TOOLS_LOADGEN_ENTRY_FACTORY_H_
