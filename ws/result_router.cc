#include "result_router.h"

#include <algorithm>
#include <set>

#include "syncd/common/clock.h"
#include "syncd/wire/entry_results.h"
#include "syncd/wire/ws_messages.h"

namespace syncd::ws {

void ResultRouter::Open(uint64_t connection, const std::string& tenant) {
  tenant_of_[connection] = tenant;
  by_tenant_[tenant].insert(connection);
}

void ResultRouter::Close(uint64_t connection) {
  auto it = tenant_of_.find(connection);
  if (it == tenant_of_.end()) return;
  auto tenant = by_tenant_.find(it->second);
  if (tenant != by_tenant_.end()) {
    tenant->second.erase(connection);
    if (tenant->second.empty()) by_tenant_.erase(tenant);
  }
  tenant_of_.erase(it);
}

int64_t ResultRouter::TenantConnections(const std::string& tenant) const {
  auto it = by_tenant_.find(tenant);
  return it == by_tenant_.end() ? 0 : static_cast<int64_t>(it->second.size());
}

void ResultRouter::Wait(const std::string& tenant, const std::string& entry_id,
                        uint64_t connection) {
  waiters_[EntryKey{tenant, entry_id}].push_back(connection);
}

void ResultRouter::CancelWait(const std::string& tenant, const std::string& entry_id,
                              uint64_t connection) {
  auto it = waiters_.find(EntryKey{tenant, entry_id});
  if (it == waiters_.end()) return;
  std::vector<uint64_t>& waiting = it->second;
  auto last = std::find(waiting.rbegin(), waiting.rend(), connection);
  if (last != waiting.rend()) waiting.erase(std::next(last).base());
  if (waiting.empty()) waiters_.erase(it);
}

void ResultRouter::Route(const std::vector<pipeline::Delivery>& deliveries, int64_t now_ms,
                         ConnectionSender& sender) {
  int64_t now_us = common::MonotonicMicros();
  // A connection that closed since it sent the entry is skipped.
  auto send = [&](uint64_t id, const std::string& json) {
    return IsOpen(id) && sender.Send(id, json);
  };
  for (const pipeline::Delivery& d : deliveries) {
    EntryKey key{d.tenant_id, d.entry_id};
    auto it = waiters_.find(key);
    std::vector<uint64_t> waiting;
    if (it != waiters_.end()) {
      waiting = std::move(it->second);
      waiters_.erase(it);
    }
    // Connections kept since the entry was dead-lettered get its final
    // result (the operator's), once each. A duplicate replay of the dead
    // NACK answers only the connection that resent the id.
    auto kept = d.duplicate ? dead_waiters_.end() : dead_waiters_.find(key);
    if (kept != dead_waiters_.end()) {
      for (uint64_t id : kept->second) {
        if (std::find(waiting.begin(), waiting.end(), id) == waiting.end()) {
          waiting.push_back(id);
        }
      }
      dead_waiters_.erase(kept);
    }
    if (!waiting.empty()) {
      std::string reply = wire::SyncReplyJson(d);
      // A connection that sent the id more than once before it finished
      // (twice in one batch, or again while it was queued) gets one answer
      // per send: the first as it is, the others marked duplicate.
      std::string again;
      std::set<uint64_t> answered;
      bool handed = false;
      for (uint64_t id : waiting) {
        if (answered.insert(id).second || d.duplicate) {
          handed = send(id, reply) || handed;
          continue;
        }
        if (again.empty()) {
          pipeline::Delivery resent = d;
          resent.duplicate = true;
          again = wire::SyncReplyJson(resent);
        }
        handed = send(id, again) || handed;
      }
      // A latency sample only for a reply that reached a socket.
      if (handed && d.received_us > 0 && metrics_ != nullptr) {
        metrics_->RecordAck(now_us - d.received_us);
      }
    }
    if (d.state == pipeline::FinalState::kDead) {
      // A dead-lettered entry is not finished for good: an operator's
      // retry/ack/nack (REST) answers it later, on these same connections.
      KeepWaiting(key, waiting);
    }
    if (d.duplicate || !d.result.acked || d.entity_data.empty()) continue;
    if (d.result.outcome == domain::Outcome::kApplied) {
      auto tenant = by_tenant_.find(d.tenant_id);
      if (tenant == by_tenant_.end()) continue;
      std::string update;
      for (uint64_t id : tenant->second) {
        if (std::find(waiting.begin(), waiting.end(), id) != waiting.end()) continue;
        if (update.empty()) update = wire::DataUpdateJson(d, now_ms);
        send(id, update);
      }
    } else if (d.result.outcome == domain::Outcome::kSuperseded && !waiting.empty()) {
      std::string update = wire::DataUpdateJson(d, now_ms);
      std::set<uint64_t> once(waiting.begin(), waiting.end());
      for (uint64_t id : once) send(id, update);
    }
  }
}

void ResultRouter::KeepWaiting(const EntryKey& key, const std::vector<uint64_t>& waiting) {
  std::vector<uint64_t>& kept = dead_waiters_[key];
  for (uint64_t id : waiting) {
    if (IsOpen(id) && std::find(kept.begin(), kept.end(), id) == kept.end()) {
      kept.push_back(id);
    }
  }
  if (kept.empty()) dead_waiters_.erase(key);
}

}  // namespace syncd::ws
