#include "syncd/ws/ws_server.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include "messages.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/json_limits.h"
#include "syncd/pipeline/clock.h"

namespace syncd::ws {

namespace {

using Server = websocketpp::server<websocketpp::config::asio>;
using Hdl = websocketpp::connection_hdl;
using EntryKey = std::pair<std::string, std::string>;  // tenant, entry id

int64_t NowMs() { return pipeline::SystemClock().NowMs(); }

// "/ws_finwise/ws/{tenant}" or "/ws/{tenant}" (query string ignored) → tenant.
std::optional<std::string> TenantFromPath(std::string path) {
  if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
  for (std::string_view prefix : {"/ws_finwise/ws/", "/ws/"}) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string tenant = path.substr(prefix.size());
    if (tenant.empty() || tenant.find('/') != std::string::npos) return std::nullopt;
    // Percent-decoding, so that "a%20b" is the tenant "a b".
    std::string decoded;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (size_t i = 0; i < tenant.size(); ++i) {
      if (tenant[i] == '%' && i + 2 <= tenant.size() - 1 && hex(tenant[i + 1]) >= 0 &&
          hex(tenant[i + 2]) >= 0) {
        decoded.push_back(static_cast<char>(hex(tenant[i + 1]) * 16 + hex(tenant[i + 2])));
        i += 2;
        continue;
      }
      decoded.push_back(tenant[i]);
    }
    if (decoded.empty()) return std::nullopt;
    return decoded;
  }
  return std::nullopt;
}

}  // namespace

class WsServer::Impl final : public pipeline::ResultSink {
 public:
  Impl(WsOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads)
      : options_(std::move(options)), pipeline_(pipeline), reads_(reads) {
    pipeline_->AddSink(this);
  }

  ~Impl() override { Shutdown(0); }

  db::Status Start() {
    try {
      server_.init_asio();
      server_.set_reuse_addr(true);
      server_.clear_access_channels(websocketpp::log::alevel::all);
      server_.clear_error_channels(websocketpp::log::elevel::all);
      server_.set_error_channels(websocketpp::log::elevel::fatal);
      server_.set_max_message_size(static_cast<size_t>(options_.max_message_bytes));
      server_.set_max_http_body_size(64 * 1024);
      // Replies are small frames: without TCP_NODELAY each waits for the
      // client's delayed ACK of the previous one (~40 ms per burst). Set once
      // the connection is accepted (the socket is not open before that).
      server_.set_tcp_pre_init_handler([this](Hdl h) {
        websocketpp::lib::asio::error_code ignored;
        server_.get_con_from_hdl(h)->get_raw_socket().set_option(
            websocketpp::lib::asio::ip::tcp::no_delay(true), ignored);
      });
      server_.set_validate_handler([this](Hdl h) { return OnValidate(h); });
      server_.set_open_handler([this](Hdl h) { OnOpen(h); });
      server_.set_close_handler([this](Hdl h) { OnClose(h); });
      server_.set_fail_handler([this](Hdl h) { OnClose(h); });
      server_.set_http_handler([this](Hdl h) { OnHttp(h); });
      server_.set_message_handler(
          [this](Hdl h, Server::message_ptr msg) { OnMessage(h, std::move(msg)); });
      websocketpp::lib::asio::error_code ec;
      auto address = websocketpp::lib::asio::ip::make_address(options_.host, ec);
      if (ec) return db::Status::Permanent("bad --host " + options_.host + ": " + ec.message());
      server_.listen(websocketpp::lib::asio::ip::tcp::endpoint(address, options_.port), ec);
      if (ec) {
        return db::Status::Permanent("cannot listen on " + options_.host + ":" +
                                     std::to_string(options_.port) + ": " + ec.message());
      }
      server_.start_accept(ec);
      if (ec) return db::Status::Permanent("cannot accept: " + ec.message());
      auto local = server_.get_local_endpoint(ec);
      port_ = ec ? options_.port : local.port();
    } catch (const std::exception& e) {
      return db::Status::Permanent(std::string("websocket server: ") + e.what());
    }
    up_ = true;
    // The future exists before the thread does: Shutdown may wait on it at once.
    std::promise<void> done;
    loop_done_ = done.get_future();
    thread_ = std::thread([this, done = std::move(done)]() mutable { RunLoop(std::move(done)); });
    return db::Status::Ok();
  }

  int port() const { return port_; }
  int64_t connections() const { return connection_count_.load(); }
  int64_t tenants() const { return tenant_count_.load(); }
  bool up() const { return up_.load(); }

  void StopAccepting() {
    if (!thread_.joinable()) return;
    std::promise<void> done;
    auto future = done.get_future();
    websocketpp::lib::asio::post(server_.get_io_service(), [this, &done] {
      websocketpp::lib::error_code ec;
      if (server_.is_listening()) server_.stop_listening(ec);
      done.set_value();
    });
    future.wait_for(std::chrono::seconds(2));
  }

  void Shutdown(int64_t deadline_ms) {
    if (!thread_.joinable()) return;
    websocketpp::lib::asio::post(server_.get_io_service(), [this] {
      websocketpp::lib::error_code ec;
      if (server_.is_listening()) server_.stop_listening(ec);
      std::string message = StatusJson("shutdown");
      for (auto& [id, conn] : conns_) {
        server_.send(conn.hdl, message, websocketpp::frame::opcode::text, ec);
        server_.close(conn.hdl, websocketpp::close::status::going_away, "server shutting down", ec);
      }
    });
    // run() returns once every connection has closed; past the deadline, stop.
    if (loop_done_.wait_for(std::chrono::milliseconds(deadline_ms)) != std::future_status::ready) {
      server_.stop();
    }
    thread_.join();
    up_ = false;
  }

  // Pipeline thread: hand the results to the Asio thread.
  void Deliver(pipeline::Deliveries deliveries) override {
    if (!up_.load()) return;
    websocketpp::lib::asio::post(server_.get_io_service(),
                                 [this, d = std::move(deliveries)] { Route(*d); });
  }

 private:
  struct Conn {
    Hdl hdl;
    std::string tenant;
    bool closing = false;
  };

  void RunLoop(std::promise<void> done) {
    for (;;) {
      try {
        server_.run();
        break;
      } catch (const std::exception& e) {
        // A handler must never take the server down; log and keep serving.
        std::fprintf(stderr, "syncd: websocket handler error: %s\n", e.what());
      }
    }
    done.set_value();
  }

  bool OnValidate(Hdl h) {
    Server::connection_ptr con = server_.get_con_from_hdl(h);
    if (!TenantFromPath(con->get_resource())) {
      con->set_status(websocketpp::http::status_code::not_found);
      con->set_body("{\"error\":{\"code\":\"not_found\",\"message\":\"unknown WebSocket path\"}}");
      return false;
    }
    return true;
  }

  void OnOpen(Hdl h) {
    Server::connection_ptr con = server_.get_con_from_hdl(h);
    std::string tenant = TenantFromPath(con->get_resource()).value_or("");
    uint64_t id = next_id_++;
    ids_[h] = id;
    conns_[id] = Conn{h, tenant, false};
    by_tenant_[tenant].insert(id);
    UpdateCounts();
    Send(id, StatusJson("online"));
  }

  void OnClose(Hdl h) {
    auto it = ids_.find(h);
    if (it == ids_.end()) return;
    uint64_t id = it->second;
    ids_.erase(it);
    auto conn = conns_.find(id);
    if (conn != conns_.end()) {
      auto tenant = by_tenant_.find(conn->second.tenant);
      if (tenant != by_tenant_.end()) {
        tenant->second.erase(id);
        if (tenant->second.empty()) by_tenant_.erase(tenant);
      }
      conns_.erase(conn);
    }
    UpdateCounts();
    // Waiter lists are cleaned lazily when their result arrives.
  }

  void OnHttp(Hdl h) {
    Server::connection_ptr con = server_.get_con_from_hdl(h);
    std::string path = con->get_resource();
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    con->append_header("Content-Type", "application/json");
    // The frontend polls this from a page on another origin.
    con->append_header("Access-Control-Allow-Origin", "*");
    if (con->get_request().get_method() == "OPTIONS" &&
        (path == "/api/v1/websocket/health" || path == "/health")) {
      // A browser's CORS preflight.
      con->append_header("Access-Control-Allow-Methods", "GET, OPTIONS");
      con->append_header("Access-Control-Allow-Headers", "Content-Type");
      con->set_status(websocketpp::http::status_code::no_content);
      return;
    }
    if (con->get_request().get_method() == "GET" &&
        (path == "/api/v1/websocket/health" || path == "/health") && options_.health_body) {
      con->set_status(websocketpp::http::status_code::ok);
      con->set_body(options_.health_body());
      return;
    }
    con->set_status(websocketpp::http::status_code::not_found);
    con->set_body(
        "{\"error\":{\"code\":\"not_found\",\"message\":\"no such route on the WebSocket port\"}}");
  }

  void UpdateCounts() {
    connection_count_ = static_cast<int64_t>(conns_.size());
    tenant_count_ = static_cast<int64_t>(by_tenant_.size());
  }

  // Not closing, and not over the buffered-bytes cap that closes a slow client.
  bool Healthy(const Conn& conn) {
    if (conn.closing) return false;
    websocketpp::lib::error_code ec;
    Server::connection_ptr con = server_.get_con_from_hdl(conn.hdl, ec);
    return !ec && con &&
           static_cast<int64_t>(con->get_buffered_amount()) <= options_.max_buffered_bytes;
  }

  void Send(uint64_t id, const std::string& json) {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second.closing) return;
    Conn& conn = it->second;
    websocketpp::lib::error_code ec;
    Server::connection_ptr con = server_.get_con_from_hdl(conn.hdl, ec);
    if (ec || !con) return;
    if (static_cast<int64_t>(con->get_buffered_amount()) > options_.max_buffered_bytes) {
      // The client does not read: stop buffering for it. Its results are
      // durable; resending after a reconnect replays them.
      conn.closing = true;
      con->close(websocketpp::close::status::policy_violation, "client too slow", ec);
      return;
    }
    con->send(json, websocketpp::frame::opcode::text);
  }

  void OnMessage(Hdl h, Server::message_ptr msg) {
    int64_t received_us = pipeline::MonotonicMicros();
    auto it = ids_.find(h);
    if (it == ids_.end()) return;
    uint64_t id = it->second;
    const std::string tenant = conns_[id].tenant;
    try {
      HandleFrame(id, tenant, msg->get_payload(), received_us);
    } catch (const std::exception& e) {
      Send(id, ErrorJson("invalid_message", std::string("could not handle message: ") + e.what()));
    }
  }

  void HandleFrame(uint64_t id, const std::string& tenant, const std::string& text,
                   int64_t received_us) {
    rapidjson::Document doc;
    std::string error;
    switch (domain::ParseJsonLimited(text, &doc, &error)) {
      case domain::JsonParseError::kTooDeep:
        Send(id, ErrorJson("invalid_json", "JSON nested deeper than " +
                                               std::to_string(domain::kMaxJsonDepth) + " levels"));
        return;
      case domain::JsonParseError::kInvalid:
        Send(id, ErrorJson("invalid_json", "invalid JSON: " + error));
        return;
      case domain::JsonParseError::kNone:
        break;
    }
    if (!doc.IsObject()) {
      Send(id, ErrorJson("invalid_message", "a message must be a JSON object"));
      return;
    }
    auto type_it = doc.FindMember("type");
    if (type_it == doc.MemberEnd() || !type_it->value.IsString()) {
      Send(id, ErrorJson("invalid_message", "a message needs a string \"type\""));
      return;
    }
    std::string type(type_it->value.GetString(), type_it->value.GetStringLength());
    // Every message acts on the connection's tenant only.
    if (!TenantMatches(id, tenant, doc)) return;
    if (type == "ping") {
      HandlePing(id, doc);
    } else if (type == "process_sync_entry") {
      auto payload = doc.FindMember("payload");
      rapidjson::Value null_value;
      HandleEntry(id, tenant, payload == doc.MemberEnd() ? null_value : payload->value,
                  received_us);
    } else if (type == "process_sync_batch") {
      HandleBatch(id, tenant, doc, received_us);
    } else if (type == "request_initial_data") {
      HandleInitialData(id, tenant);
    } else if (type == "data_status_request" || type == "request_data_status") {
      HandleDataStatus(id, tenant, doc);
    } else if (type == "connection_status_request") {
      int64_t healthy = 0;
      for (const auto& [other, conn] : conns_) healthy += Healthy(conn) ? 1 : 0;
      Send(id,
           ConnectionStatusJson(tenant, Healthy(conns_[id]), connections(), healthy, tenants()));
    } else if (type == "tenant_disconnect") {
      Send(id, TenantDisconnectAckJson(tenant));
      auto conn = conns_.find(id);
      if (conn != conns_.end()) {
        websocketpp::lib::error_code ec;
        server_.close(conn->second.hdl, websocketpp::close::status::normal, "tenant disconnect",
                      ec);
      }
    } else {
      Send(id, ErrorJson("unknown_type", "unknown message type", &type));
    }
  }

  // A tenant_id that is not the connection's → permission_error, nothing else.
  bool TenantMatches(uint64_t id, const std::string& tenant, const rapidjson::Document& doc) {
    auto it = doc.FindMember("tenant_id");
    if (it == doc.MemberEnd() || it->value.IsNull()) return true;
    if (it->value.IsString() &&
        std::string_view(it->value.GetString(), it->value.GetStringLength()) == tenant) {
      return true;
    }
    Send(id, ErrorJson("permission_error", "tenant_id does not match this connection's tenant"));
    return false;
  }

  void HandlePing(uint64_t id, const rapidjson::Document& doc) {
    auto ts = doc.FindMember("timestamp");
    Send(id, PongJson(ts == doc.MemberEnd() ? nullptr : &ts->value));
  }

  void HandleEntry(uint64_t id, const std::string& tenant, const rapidjson::Value& value,
                   int64_t received_us) {
    domain::ParsedEntry parsed = domain::ParseSyncEntry(value, tenant);
    if (auto* error = std::get_if<domain::EntryError>(&parsed)) {
      pipeline_->CountRejected(tenant);
      Send(id, EntryErrorNackJson(*error, NowMs()));
      return;
    }
    domain::SyncEntry& entry = std::get<domain::SyncEntry>(parsed);
    EntryKey key{entry.tenant_id, entry.id};
    std::vector<uint64_t>& waiting = waiters_[key];
    waiting.push_back(id);
    pipeline::SubmitResult submitted = pipeline_->Submit(std::move(entry), received_us);
    if (submitted == pipeline::SubmitResult::kAccepted) return;
    // Not queued: answer now and forget this waiter.
    auto it = waiters_.find(key);
    if (it != waiters_.end()) {
      it->second.pop_back();
      if (it->second.empty()) waiters_.erase(it);
    }
    domain::ParsedEntry again = domain::ParseSyncEntry(value, tenant);
    const domain::SyncEntry& e = std::get<domain::SyncEntry>(again);
    if (submitted == pipeline::SubmitResult::kQueueFull) {
      Send(id, RefusedNackJson(e, domain::NackReason::kRateLimit, "queue full; try again later",
                               pipeline_->RetryAfterMs(), NowMs()));
    } else {
      Send(id,
           RefusedNackJson(e, domain::NackReason::kSystem, "server shutting down", 1000, NowMs()));
    }
  }

  void HandleBatch(uint64_t id, const std::string& tenant, const rapidjson::Document& doc,
                   int64_t received_us) {
    auto entries = doc.FindMember("entries");
    if (entries == doc.MemberEnd() || !entries->value.IsArray()) {
      Send(id, ErrorJson("invalid_message", "process_sync_batch needs an \"entries\" array"));
      return;
    }
    if (entries->value.Size() > kMaxBatchEntries) {
      Send(id, ErrorJson("too_large", "process_sync_batch takes at most 1000 entries"));
      return;
    }
    for (const rapidjson::Value& value : entries->value.GetArray()) {
      HandleEntry(id, tenant, value, received_us);
    }
  }

  void HandleInitialData(uint64_t id, const std::string& tenant) {
    std::vector<db::StoredEntity> entities;
    db::Status s = reads_->ListEntities(tenant, {}, /*include_deleted=*/false, &entities);
    if (!s.ok()) {
      Send(id, ErrorJson("internal_error", "could not read entities: " + s.message()));
      return;
    }
    Send(id, InitialDataLoadJson(tenant, entities, NowMs()));
  }

  void HandleDataStatus(uint64_t id, const std::string& tenant, const rapidjson::Document& doc) {
    std::vector<domain::EntityType> types;
    auto it = doc.FindMember("entity_types");
    if (it != doc.MemberEnd() && !it->value.IsNull()) {
      if (!it->value.IsArray()) {
        Send(id,
             ErrorJson("invalid_message", "entity_types must be an array of type names or null"));
        return;
      }
      for (const rapidjson::Value& v : it->value.GetArray()) {
        std::optional<domain::EntityType> type;
        if (v.IsString()) type = domain::ParseEntityType(v.GetString());
        if (!type) {
          Send(id, ErrorJson("invalid_message", "entity_types names an unknown entity type"));
          return;
        }
        if (std::find(types.begin(), types.end(), *type) == types.end()) types.push_back(*type);
      }
    }
    if (!options_.data_status_body) {
      Send(id, ErrorJson("internal_error", "data status is not available"));
      return;
    }
    Send(id, options_.data_status_body(tenant, types));
  }

  // Asio thread: send each result to every open connection waiting on it,
  // and the entity state to the others.
  void Route(const std::vector<pipeline::Delivery>& deliveries) {
    int64_t now_us = pipeline::MonotonicMicros();
    int64_t now_ms = NowMs();
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
        std::string reply = SyncReplyJson(d);
        for (uint64_t id : waiting) Send(id, reply);
        if (d.received_us > 0) pipeline_->metrics().RecordAck(now_us - d.received_us);
      }
      if (!d.result.acked && d.result.reason == domain::NackReason::kSystem) {
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
          if (update.empty()) update = DataUpdateJson(d, now_ms);
          Send(id, update);
        }
      } else if (d.result.outcome == domain::Outcome::kSuperseded && !waiting.empty()) {
        std::string update = DataUpdateJson(d, now_ms);
        std::set<uint64_t> once(waiting.begin(), waiting.end());
        for (uint64_t id : once) Send(id, update);
      }
    }
  }

  // Keeps the still-open connections (once each) as waiters on `key`.
  void KeepWaiting(const EntryKey& key, const std::vector<uint64_t>& waiting) {
    std::vector<uint64_t>& kept = dead_waiters_[key];
    for (uint64_t id : waiting) {
      if (conns_.count(id) != 0 && std::find(kept.begin(), kept.end(), id) == kept.end()) {
        kept.push_back(id);
      }
    }
    if (kept.empty()) dead_waiters_.erase(key);
  }

  static constexpr rapidjson::SizeType kMaxBatchEntries = 1000;

  const WsOptions options_;
  pipeline::Pipeline* pipeline_;
  db::ReadStore* reads_;
  Server server_;
  std::thread thread_;
  std::future<void> loop_done_;
  int port_ = 0;
  std::atomic<bool> up_{false};
  std::atomic<int64_t> connection_count_{0}, tenant_count_{0};

  // Asio thread only.
  uint64_t next_id_ = 1;
  std::map<Hdl, uint64_t, std::owner_less<Hdl>> ids_;
  std::unordered_map<uint64_t, Conn> conns_;
  std::map<std::string, std::set<uint64_t>> by_tenant_;
  std::map<EntryKey, std::vector<uint64_t>> waiters_;
  // Dead-lettered entries: the connections that sent them, for the
  // operator's later ack/nack/retry (REST acknowledge).
  std::map<EntryKey, std::vector<uint64_t>> dead_waiters_;
};

WsServer::WsServer(WsOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads)
    : impl_(std::make_unique<Impl>(std::move(options), pipeline, reads)) {}
WsServer::~WsServer() = default;
db::Status WsServer::Start() { return impl_->Start(); }
int WsServer::port() const { return impl_->port(); }
int64_t WsServer::connections() const { return impl_->connections(); }
int64_t WsServer::tenants() const { return impl_->tenants(); }
bool WsServer::up() const { return impl_->up(); }
void WsServer::StopAccepting() { impl_->StopAccepting(); }
void WsServer::Shutdown(int64_t deadline_ms) { impl_->Shutdown(deadline_ms); }

}  // namespace syncd::ws
