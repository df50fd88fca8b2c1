#include "item.h"

#include <utility>

#include "syncd/db/counters.h"
#include "syncd/domain/canonical_json.h"

namespace syncd::pipeline {

namespace counters = db::counters;
using common::EntryState;

namespace {

const char* DepthCounter(EntryState state) {
  switch (state) {
    case EntryState::kPending:
      return counters::kPending;
    case EntryState::kInFlight:
      return counters::kInFlight;
    case EntryState::kRetryWait:
      return counters::kRetryWait;
    case EntryState::kDead:
      return counters::kDead;
    case EntryState::kDone:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

std::string EntityKey(const domain::SyncEntry& e) {
  std::string key;
  key.reserve(e.tenant_id.size() + e.entity_id.size() + 24);
  key.append(e.tenant_id).push_back('\x1f');
  key.append(domain::EntityTypeName(e.entity_type)).push_back('\x1f');
  key.append(e.entity_id);
  return key;
}

std::string EntryChecksum(const domain::SyncEntry& e) {
  return e.checksum.empty() ? domain::ChecksumOfCanonical(e.data) : e.checksum;
}

Delivery MakeDelivery(const domain::SyncEntry& entry, int64_t received_us,
                      domain::EntryResult result, FinalState state) {
  Delivery d;
  d.tenant_id = entry.tenant_id;
  d.entry_id = entry.id;
  d.entity_type = entry.entity_type;
  d.entity_id = entry.entity_id;
  d.operation_type = entry.operation;
  d.result = std::move(result);
  d.state = state;
  d.received_us = received_us;
  return d;
}

Delivery RefusedDelivery(const std::string& tenant, const domain::EntryError& error,
                         domain::EntryResult result, FinalState state, int64_t received_us) {
  Delivery d;
  d.tenant_id = tenant;
  d.entry_id = error.id.value_or(std::string());
  d.entity_id = error.entity_id.value_or(std::string());
  if (error.entity_type) {
    d.entity_type = domain::ParseEntityType(*error.entity_type).value_or(d.entity_type);
  }
  if (error.operation_type) {
    d.operation_type = domain::ParseOperation(*error.operation_type).value_or(d.operation_type);
  }
  d.result = std::move(result);
  d.state = state;
  d.received_us = received_us;
  d.refused = error;
  return d;
}

void Deltas::Add(const std::string& tenant, const char* name, int64_t delta) {
  if (name == nullptr || delta == 0) return;
  map_[{std::string(), name}] += delta;
  // "" is the global scope; an entry with no readable tenant counts only there.
  if (!tenant.empty()) map_[{tenant, name}] += delta;
}

void Deltas::Refused(const std::string& tenant) {
  Add(tenant, counters::kReceived, 1);
  Add(tenant, counters::kNacked, 1);
}

void Deltas::AddAll(const db::CounterMap& other) {
  for (const auto& [key, delta] : other) map_[key] += delta;
}

void Deltas::Move(const std::string& tenant, EntryState from, EntryState to) {
  if (from == to) return;
  Add(tenant, DepthCounter(from), -1);
  Add(tenant, DepthCounter(to), +1);
}

}  // namespace syncd::pipeline
