// Private to ws/: which open connection hears about which entry (ARCHITECTURE.md).
//
// ResultRouter keeps the connection registry (id → tenant, tenant → ids) and
// the waiters (entry id → the connections that sent it). Route() turns one
// batch of pipeline results into replies: sync_ack/sync_nack to the waiters
// (once each), data_update with the new state to the tenant's other
// connections (applied) or with the stored state back to the sender
// (superseded). The waiters of a dead-lettered entry are kept for the
// operator's later retry/ack/nack, which arrives as another result.
//
// No websocketpp here: replies go out through a ConnectionSender. Owned by
// the WebSocket server; Asio thread only (tests: the test thread).
#ifndef SYNCD_WS_RESULT_ROUTER_H_
#define SYNCD_WS_RESULT_ROUTER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "syncd/pipeline/metrics.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::ws {

// Hands text to one connection (the transport). false when it was not
// handed to the socket (gone, closing, too slow, or the send failed).
class ConnectionSender {
 public:
  virtual ~ConnectionSender() = default;
  virtual bool Send(uint64_t connection, const std::string& json) = 0;
};

class ResultRouter {
 public:
  // `metrics` (may be null) records the ack latency of a reply that reached
  // a socket.
  explicit ResultRouter(pipeline::Metrics* metrics) : metrics_(metrics) {}
  ResultRouter(const ResultRouter&) = delete;
  ResultRouter& operator=(const ResultRouter&) = delete;

  // --- Connection registry ------------------------------------------------
  void Open(uint64_t connection, const std::string& tenant);
  // Waiter lists are cleaned lazily, when their result arrives.
  void Close(uint64_t connection);
  bool IsOpen(uint64_t connection) const { return tenant_of_.count(connection) != 0; }
  int64_t connections() const { return static_cast<int64_t>(tenant_of_.size()); }
  int64_t tenants() const { return static_cast<int64_t>(by_tenant_.size()); }
  // Open connections of `tenant` (0 when none).
  int64_t TenantConnections(const std::string& tenant) const;

  // --- Waiters -----------------------------------------------------------
  // `connection` waits for the result of (tenant, entry_id).
  void Wait(const std::string& tenant, const std::string& entry_id, uint64_t connection);
  // Undoes the latest Wait of `connection` on (tenant, entry_id): the entry
  // was not queued and has been answered already.
  void CancelWait(const std::string& tenant, const std::string& entry_id, uint64_t connection);

  // Sends each result to its waiters and the entity state to the others.
  // `now_ms`: epoch time for a data_update without a decision time.
  void Route(const std::vector<pipeline::Delivery>& deliveries, int64_t now_ms,
             ConnectionSender& sender);

 private:
  using EntryKey = std::pair<std::string, std::string>;  // tenant, entry id

  // Keeps the still-open connections (once each) as waiters on `key`.
  void KeepWaiting(const EntryKey& key, const std::vector<uint64_t>& waiting);

  pipeline::Metrics* const metrics_;
  std::unordered_map<uint64_t, std::string> tenant_of_;
  std::map<std::string, std::set<uint64_t>> by_tenant_;
  std::map<EntryKey, std::vector<uint64_t>> waiters_;
  // Dead-lettered entries: the connections that sent them, for the
  // operator's later ack/nack/retry (REST acknowledge).
  std::map<EntryKey, std::vector<uint64_t>> dead_waiters_;
};

}  // namespace syncd::ws

#endif  // SYNCD_WS_RESULT_ROUTER_H_
