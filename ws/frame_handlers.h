// Private to ws/: what the server does with one text frame from a client
// (protocol.md, client → server messages), as plain functions over a
// request (FrameContext) and a ReplySink, in the manner of api/'s handlers.
// No websocketpp here: the transport (ws_server.cc) parses nothing and
// decides nothing, it hands each frame to HandleFrame and implements the
// sink. Asio thread only (tests: the test thread).
#ifndef SYNCD_WS_FRAME_HANDLERS_H_
#define SYNCD_WS_FRAME_HANDLERS_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "load_cache.h"
#include "result_router.h"
#include "syncd/common/clock.h"
#include "syncd/db/store.h"
#include "syncd/domain/entity.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::ws {

// The answer of a read: its messages, in order (one, or a load's pages).
// Shared: one answer may go to several connections (load_cache.h).
using ReadAnswer = std::shared_ptr<const std::vector<std::string>>;
ReadAnswer OneMessage(std::string json);

// The reply side of one connection, implemented by the transport.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Hands `json` to this connection; false when it was not (see
  // ConnectionSender::Send).
  virtual bool Send(const std::string& json) = 0;
  // Runs `read` (a database read and its serialisation) on a reader thread
  // and sends the messages it returns, all of them, after this connection's
  // earlier reads and before its later ones (never interleaved).
  // `type` is the request's message type (named in a `busy` refusal);
  // `kind` names the read for the test hook ("initial_data", "data_status").
  virtual void StartRead(const std::string& type, const char* kind,
                         std::function<ReadAnswer()> read) = 0;
  // Closes this connection normally (1000) with `reason`.
  virtual void Close(const std::string& reason) = 0;
  // This connection is not closing and not over --ws-max-buffered-bytes.
  virtual bool Healthy() = 0;
  // Open connections for which Healthy() holds.
  virtual int64_t HealthyConnections() = 0;
};

// What the handlers use besides the connection. Owned by the server.
struct FrameServices {
  pipeline::Pipeline* pipeline = nullptr;
  ResultRouter* router = nullptr;  // waiters and the connection counts
  db::ReadStore* reads = nullptr;  // only inside StartRead's closures
  const common::Clock* clock = nullptr;
  LoadCache* loads = nullptr;  // initial data loads of every connection
  // data_status_response body for (tenant, types; empty = all); may be unset.
  std::function<std::string(const std::string&, const std::vector<domain::EntityType>&)>
      data_status_body;
};

// One frame's request: who sent it and when.
struct FrameContext {
  uint64_t connection = 0;
  std::string tenant;       // the connection's tenant (from its path)
  int64_t received_us = 0;  // common::MonotonicMicros() at receipt
  const FrameServices* services = nullptr;
};

// Parses `text` and dispatches on its "type"; every failure is answered on
// `sink` (an error message), never thrown.
void HandleFrame(const FrameContext& ctx, std::string_view text, ReplySink& sink);

// The handlers HandleFrame dispatches to, for a frame that is a JSON object
// with a string "type" and no foreign tenant_id.
void HandlePing(const FrameContext& ctx, const rapidjson::Document& doc, ReplySink& sink);
void HandleEntry(const FrameContext& ctx, const rapidjson::Value& value, ReplySink& sink);
void HandleBatch(const FrameContext& ctx, const rapidjson::Document& doc, ReplySink& sink);
void HandleInitialData(const FrameContext& ctx, const rapidjson::Document& doc, ReplySink& sink);
void HandleDataStatus(const FrameContext& ctx, const std::string& type,
                      const rapidjson::Document& doc, ReplySink& sink);
void HandleConnectionStatus(const FrameContext& ctx, ReplySink& sink);
void HandleTenantDisconnect(const FrameContext& ctx, ReplySink& sink);

// Most entries one process_sync_batch may carry (more: too_large).
inline constexpr rapidjson::SizeType kMaxBatchEntries = 1000;

}  // namespace syncd::ws

#endif  // SYNCD_WS_FRAME_HANDLERS_H_
