#include "entry_factory.h"

#include <chrono>
#include <cstdio>
#include <random>

namespace syncd::loadgen {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

void AppendField(const char* key, std::string_view value, std::string* out) {
  out->push_back('"');
  out->append(key);
  out->append("\":\"");
  out->append(value);
  out->append("\",");
}

// Names a related entity (an account, a category, ...) for reference fields.
void AppendRef(const char* key, const char* kind, uint64_t n, std::string* out) {
  out->push_back('"');
  out->append(key);
  out->append("\":\"");
  out->append(kind);
  out->push_back('-');
  AppendUint(n, out);
  out->append("\",");
}

constexpr int kLookback = 16;  // how far back updates look for an entity to change

}  // namespace

EntryFactory::EntryFactory(std::string run_prefix, const std::vector<MixItem>& mix,
                           int payload_bytes, int64_t base_timestamp_ms, uint32_t stride)
    : run_prefix_(std::move(run_prefix)),
      payload_bytes_(payload_bytes),
      base_timestamp_ms_(base_timestamp_ms),
      stride_(stride == 0 ? 1 : stride) {
  for (const MixItem& item : mix) {
    types_.push_back(item.type);
    total_weight_ += static_cast<uint32_t>(item.weight);
    cumulative_.push_back(total_weight_);
  }
  // Letters only: nothing to escape, and the payload does not compress to nothing.
  padding_.resize(static_cast<size_t>(payload_bytes_ > 0 ? payload_bytes_ : 0));
  uint64_t r = 42;
  for (char& c : padding_) {
    r = SplitMix64(r);
    c = static_cast<char>('a' + r % 26);
  }
}

size_t EntryFactory::TypeOf(uint64_t index) const {
  uint32_t r = static_cast<uint32_t>(SplitMix64(index) % total_weight_);
  size_t i = 0;
  while (r >= cumulative_[i]) ++i;
  return i;
}

EntryFactory::Op EntryFactory::OpOf(uint64_t index, uint64_t* target) const {
  *target = index;
  uint64_t r = SplitMix64(index ^ 0x5555555555555555ULL) % 100;
  if (r >= 15) return Op::kCreate;  // 85 % creates, 12 % updates, 3 % deletes
  size_t type = TypeOf(index);
  for (int k = 1; k <= kLookback; ++k) {
    uint64_t back = static_cast<uint64_t>(k) * stride_;
    if (back > index) break;
    uint64_t candidate = index - back;
    uint64_t ignored = 0;
    if (TypeOf(candidate) == type && OpOf(candidate, &ignored) == Op::kCreate) {
      *target = candidate;
      return r < 12 ? Op::kUpdate : Op::kDelete;
    }
  }
  return Op::kCreate;
}

void EntryFactory::AppendEntry(uint64_t index, std::string_view tenant, std::string* out) const {
  const std::string& type = types_[TypeOf(index)];
  uint64_t target = 0;
  Op op = OpOf(index, &target);
  const uint64_t h = SplitMix64(index * 31 + 7);

  std::string entity_id = run_prefix_;
  entity_id.append("-e");
  AppendUint(target, &entity_id);

  out->append("{\"id\":\"");
  out->append(run_prefix_);
  out->push_back('-');
  AppendUint(index, out);
  out->append("\",");
  AppendField("tenantId", tenant, out);
  AppendField("entityType", type, out);
  AppendField("entityId", entity_id, out);
  AppendField("operationType",
              op == Op::kCreate   ? "create"
              : op == Op::kUpdate ? "update"
                                  : "delete",
              out);
  out->append("\"payload\":{");
  const size_t payload_start = out->size();
  AppendField("id", entity_id, out);
  if (op != Op::kDelete) {
    const bool is_tx = type == "Transaction";
    const bool is_plan = type == "PlanningTransaction";
    if (!is_tx) {
      out->append("\"name\":\"");
      out->append(type);
      out->push_back(' ');
      AppendUint(h % 100000, out);
      out->append("\",");
    }
    if (type == "Account") {
      AppendRef("accountGroupId", "ag", h % 8, out);
      out->append("\"balance\":");
      AppendUint(h % 1000000, out);
      out->append(".25,\"currency\":\"EUR\",\"isActive\":true,");
    } else if (type == "Category") {
      AppendRef("categoryGroupId", "cg", h % 12, out);
    } else if (type == "AutomationRule") {
      out->append(
          "\"conditions\":[{\"field\":\"description\",\"op\":\"contains\",\"value\":\"x\"}],");
    }
    if (is_tx || is_plan) {
      AppendRef("accountId", "acc", h % 16, out);
      AppendRef("categoryId", "cat", h % 64, out);
      AppendRef("recipientId", "rcp", h % 256, out);
      out->append("\"amount\":-");
      AppendUint(h % 100000, out);
      out->append(".5,");
      char date[16];
      std::snprintf(date, sizeof date, "2025-%02u-%02u", static_cast<unsigned>(h % 12 + 1),
                    static_cast<unsigned>(h % 28 + 1));
      AppendField("date", date, out);
    }
    if (is_plan) out->append("\"repeat\":\"monthly\",");
    // Pad to about payload_bytes with a free-text field.
    const size_t used = out->size() - payload_start + 12;
    if (used < padding_.size()) {
      out->append("\"note\":\"");
      out->append(padding_, 0, padding_.size() - used);
      out->append("\",");
    }
  }
  out->back() = '}';  // replaces the last field's comma
  out->append(",\"timestamp\":");
  AppendUint(static_cast<uint64_t>(base_timestamp_ms_) + index, out);
  out->append(",\"status\":\"pending\",\"attempts\":0}");
}

bool EntryFactory::ParseId(std::string_view id, uint64_t* index) const {
  if (id.size() <= run_prefix_.size() + 1 || id.compare(0, run_prefix_.size(), run_prefix_) != 0 ||
      id[run_prefix_.size()] != '-') {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = run_prefix_.size() + 1; i < id.size(); ++i) {
    const char c = id[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *index = v;
  return true;
}

std::string NewRunPrefix() {
  std::random_device rd;
  uint64_t seed =
      (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  char buf[16];
  std::snprintf(buf, sizeof buf, "lg%08x", static_cast<unsigned>(SplitMix64(seed)));
  return buf;
}

}  // namespace syncd::loadgen
