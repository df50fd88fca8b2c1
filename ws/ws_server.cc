// The WebSocket transport: the one file of syncd that knows websocketpp.
// It accepts (our own loop, with a backoff on EMFILE), checks Origin, the
// path's tenant and the connection cap, answers plain HTTP on this port
// (health, CORS), sends with the buffered-bytes budgets and closes. What a
// frame means is frame_handlers.cc's business, who hears about a result is
// the ResultRouter's; the JSON is written by syncd_wire.
#include "syncd/ws/ws_server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <websocketpp/server.hpp>

#ifdef __linux__
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

#include "frame_handlers.h"
#include "reader_pool.h"
#include "result_router.h"
#include "syncd/common/clock.h"
#include "syncd/common/percent_decoding.h"
#include "syncd/domain/identifier.h"
#include "syncd/wire/ws_messages.h"
#include "ws_config.h"

namespace syncd::ws {

namespace {

using Server = websocketpp::server<ServerConfig>;
using Hdl = websocketpp::connection_hdl;

// At most `per_window` lines per `window`; the rest are counted and the
// count is reported with the next line that is printed. Asio thread only.
class LogLimiter {
 public:
  LogLimiter(int per_window, std::chrono::seconds window)
      : per_window_(per_window), window_(window) {}
  // Whether to print now; *suppressed is how many were skipped before.
  bool Allow(int64_t* suppressed) {
    auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= window_) {
      window_start_ = now;
      printed_ = 0;
    }
    if (printed_ >= per_window_) {
      ++suppressed_;
      return false;
    }
    ++printed_;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  const int per_window_;
  const std::chrono::seconds window_;
  std::chrono::steady_clock::time_point window_start_{};
  int printed_ = 0;
  int64_t suppressed_ = 0;
};

// Accept errors that mean "out of descriptors or memory": retrying at once
// fails again at once (the pending connection stays in the backlog), so the
// accept loop must wait instead of spinning.
// Asio reports errno values in its own "asio.system" category, which does
// not compare equal to std::errc, hence the raw values.
bool IsResourceExhaustion(const std::error_code& ec) {
  if (ec.category() != websocketpp::lib::asio::error::get_system_category() &&
      ec.category() != std::system_category() && ec.category() != std::generic_category()) {
    return false;
  }
  return ec.value() == EMFILE || ec.value() == ENFILE || ec.value() == ENOBUFS ||
         ec.value() == ENOMEM;
}

constexpr const char* kPreflightHeaders = "Content-Type, Authorization, X-Tenant-Id, X-User-Id";

// What the upgrade's path names: a tenant, a tenant we refuse (400), or no
// WebSocket route at all (404).
struct PathTenant {
  enum class Kind { kTenant, kInvalidTenant, kUnknownPath } kind = Kind::kUnknownPath;
  std::string tenant;  // kTenant: the decoded tenant id
  std::string error;   // kInvalidTenant: why, e.g. "tenant must not contain '/'"
};

// The percent-decoded value of query parameter `name` in `resource`
// ("/ws/t?access_token=…"), or "" when absent or malformed.
std::string QueryValue(const std::string& resource, std::string_view name) {
  auto q = resource.find('?');
  if (q == std::string::npos) return "";
  std::string_view query = std::string_view(resource).substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    return common::PercentDecode(pair.substr(eq + 1)).value_or("");
  }
  return "";
}

// "/ws_finwise/ws/{tenant}" or "/ws/{tenant}" (query string ignored) → tenant.
// The segment is percent-decoded strictly ("a%20b" is the tenant "a b"; a
// '%' without two hex digits is refused, not kept) and must then be an
// identifier (domain::CheckIdentifier): "%FF", "a%00b", "a%2Fb" or 129
// characters name no tenant, and are refused rather than bound.
PathTenant TenantFromPath(std::string path) {
  if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
  PathTenant out;
  for (std::string_view prefix : {"/ws_finwise/ws/", "/ws/"}) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string segment = path.substr(prefix.size());
    if (segment.empty() || segment.find('/') != std::string::npos) return out;
    std::optional<std::string> decoded = common::PercentDecode(segment);
    out.kind = PathTenant::Kind::kInvalidTenant;
    if (!decoded) {
      out.error = "tenant has a '%' that is not followed by two hex digits";
    } else if (std::optional<std::string> bad = domain::CheckIdentifier(*decoded, "tenant")) {
      out.error = std::move(*bad);
    } else {
      out.kind = PathTenant::Kind::kTenant;
      out.tenant = std::move(*decoded);
    }
    return out;
  }
  return out;
}

}  // namespace

class WsServer::Impl final : public pipeline::ResultSink, public ConnectionSender {
 public:
  Impl(WsOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads)
      : options_(std::move(options)),
        pipeline_(pipeline),
        reads_(reads),
        pool_(std::max(1, options_.reader_threads)),
        read_queues_(ReadQueues::Limits{kMaxReadsPerConnection, kMaxReadsTotal}),
        router_(&pipeline->metrics()) {
    services_.pipeline = pipeline_;
    services_.router = &router_;
    services_.reads = reads_;
    services_.clock = &clock_;
    services_.data_status_body = options_.data_status_body;
    services_.loads = &loads_;
    pipeline_->AddSink(this);
  }

  ~Impl() override {
    Shutdown(0);
    pool_.Stop();
  }

  common::Status Start() {
    try {
      server_.init_asio();
      server_.set_reuse_addr(true);
      // websocketpp's own logging stays off, every channel: it calls a peer
      // that went away (a reloaded page: EPIPE or a reset while a frame is
      // written) "fatal", and would print from the I/O path. What matters is
      // logged here, rate-limited: refused sends, slow-client closes, accept
      // failures; a peer going away is normal and not logged.
      server_.clear_access_channels(websocketpp::log::alevel::all);
      server_.clear_error_channels(websocketpp::log::elevel::all);
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
      server_.set_pong_handler([this](Hdl h, const std::string&) { OnPong(h); });
      server_.set_message_handler(
          [this](Hdl h, Server::message_ptr msg) { OnMessage(h, std::move(msg)); });
      websocketpp::lib::asio::error_code ec;
      auto address = websocketpp::lib::asio::ip::make_address(options_.host, ec);
      if (ec) return common::Status::Permanent("bad --host " + options_.host + ": " + ec.message());
      server_.listen(websocketpp::lib::asio::ip::tcp::endpoint(address, options_.port), ec);
      if (ec) {
        return common::Status::Permanent("cannot listen on " + options_.host + ":" +
                                         std::to_string(options_.port) + ": " + ec.message());
      }
      accept_timer_ =
          std::make_unique<websocketpp::lib::asio::steady_timer>(server_.get_io_service());
      if (!Accept()) return common::Status::Permanent("cannot accept connections");
      auto local = server_.get_local_endpoint(ec);
      port_ = ec ? options_.port : local.port();
    } catch (const std::exception& e) {
      return common::Status::Permanent(std::string("websocket server: ") + e.what());
    }
    up_ = true;
    // The future exists before the thread does: Shutdown may wait on it at once.
    std::promise<void> done;
    loop_done_ = done.get_future();
    thread_ = std::thread([this, done = std::move(done)]() mutable { RunLoop(std::move(done)); });
    return common::Status::Ok();
  }

  int port() const { return port_; }
  int64_t connections() const { return connection_count_.load(); }
  int64_t tenants() const { return tenant_count_.load(); }
  int64_t slow_closes() const { return slow_closes_.load(); }
  int64_t initial_load_reads() const { return loads_.builds(); }
  int64_t initial_load_shared() const { return loads_.shares(); }
  std::map<std::string, int64_t> TenantConnections() const {
    std::lock_guard<std::mutex> lock(tenant_sizes_mu_);
    return tenant_sizes_;
  }
  bool up() const { return up_.load(); }

  void CloseTenant(const std::string& tenant) {
    if (!thread_.joinable()) return;
    // Shared: the wait below may give up before the Asio thread runs this.
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    websocketpp::lib::asio::post(server_.get_io_service(), [this, done, tenant] {
      for (auto& [id, conn] : conns_) {
        if (conn.tenant == tenant)
          CloseConn(conn, websocketpp::close::status::normal, "tenant deleted");
      }
      done->set_value();
    });
    future.wait_for(std::chrono::seconds(2));
  }

  void StopAccepting() {
    if (!thread_.joinable()) return;
    std::promise<void> done;
    auto future = done.get_future();
    websocketpp::lib::asio::post(server_.get_io_service(), [this, &done] {
      StopListening();
      done.set_value();
    });
    future.wait_for(std::chrono::seconds(2));
  }

  void Shutdown(int64_t deadline_ms) {
    if (!thread_.joinable()) return;
    websocketpp::lib::asio::post(server_.get_io_service(), [this] {
      StopListening();
      websocketpp::lib::error_code ec;
      std::string message = wire::StatusJson("shutdown");
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
    // Reads still running post to a loop that no longer runs: harmless.
    pool_.Stop();
  }

  // Pipeline thread: hand the results to the Asio thread.
  void Deliver(pipeline::Deliveries deliveries) override {
    if (!up_.load()) return;
    websocketpp::lib::asio::post(server_.get_io_service(), [this, d = std::move(deliveries)] {
      router_.Route(*d, clock_.NowMs(), *this);
    });
  }

 private:
  // One connection's side of a frame's handling (frame_handlers.h): lives
  // for one frame, on the Asio thread.
  class ConnReplies final : public ReplySink {
   public:
    ConnReplies(Impl* impl, uint64_t id) : impl_(impl), id_(id) {}
    bool Send(const std::string& json) override { return impl_->Send(id_, json); }
    void StartRead(const std::string& type, const char* kind,
                   std::function<ReadAnswer()> read) override {
      impl_->StartRead(id_, type, kind, std::move(read));
    }
    void Close(const std::string& reason) override {
      auto conn = impl_->conns_.find(id_);
      if (conn == impl_->conns_.end()) return;
      websocketpp::lib::error_code ec;
      impl_->server_.close(conn->second.hdl, websocketpp::close::status::normal, reason, ec);
    }
    bool Healthy() override { return impl_->Healthy(impl_->conns_[id_]); }
    int64_t HealthyConnections() override {
      int64_t healthy = 0;
      for (const auto& [other, conn] : impl_->conns_) healthy += impl_->Healthy(conn) ? 1 : 0;
      return healthy;
    }

   private:
    Impl* const impl_;
    const uint64_t id_;
  };

  struct Conn {
    Hdl hdl;
    std::string tenant;
    bool closing = false;
    // Bytes websocketpp held unsent for it when last looked at (0 once
    // closing: it is on its way out).
    int64_t buffered = 0;
    // Set by CloseConn: ends the connection if the close does not complete.
    std::shared_ptr<websocketpp::lib::asio::steady_timer> close_timer;
    // Keep-alive: the next ping, or the deadline of the one sent.
    std::shared_ptr<websocketpp::lib::asio::steady_timer> keepalive_timer;
    bool awaiting_pong = false;
    // What the peer had read at the ping or the last deadline (PeerTookData).
    int64_t ping_acked = -1;
    int64_t ping_buffered = 0;
    // Token mode: closes the connection (1008) when its token expires.
    std::shared_ptr<websocketpp::lib::asio::steady_timer> expiry_timer;
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

  // --- Accepting --------------------------------------------------------
  //
  // Our own accept loop instead of websocketpp's start_accept(): on an
  // accept error, endpoint::handle_accept calls start_accept again at once,
  // and with EMFILE the pending connection stays in the backlog, so it
  // spins (60-70% of a core) while nobody can connect. This is the same
  // loop built from the same public pieces (get_connection, the
  // transport's async_accept, connection::start) plus a delayed retry,
  // 100 ms doubling to 1 s, while descriptors or memory are exhausted.

  // Asio thread (or Start, before the loop runs). false when not listening.
  bool Accept() {
    if (!server_.is_listening()) return false;
    Server::connection_ptr con = server_.get_connection();
    if (!con) {
      RetryAcceptLater("could not create a connection");
      return true;
    }
    websocketpp::lib::error_code ec;
    server_.async_accept(
        websocketpp::lib::static_pointer_cast<Server::transport_con_type>(con),
        [this, con](const websocketpp::lib::error_code& accept_ec) { OnAccepted(con, accept_ec); },
        ec);
    if (ec) {
      con->terminate(websocketpp::lib::error_code());
      return false;
    }
    return true;
  }

  void OnAccepted(const Server::connection_ptr& con, const websocketpp::lib::error_code& ec) {
    if (!ec) {
      accept_delay_ms_ = 0;
      con->start();
      Accept();
      return;
    }
    con->terminate(ec);
    if (!server_.is_listening()) return;  // StopAccepting or Shutdown
    if (IsResourceExhaustion(ec)) {
      RetryAcceptLater(ec.message());
      return;
    }
    Accept();  // one bad connection (e.g. reset before accept): go on
  }

  void RetryAcceptLater(const std::string& why) {
    accept_delay_ms_ = accept_delay_ms_ == 0 ? 100 : std::min<int64_t>(accept_delay_ms_ * 2, 1000);
    int64_t suppressed = 0;
    if (accept_log_.Allow(&suppressed)) {
      std::fprintf(stderr,
                   "syncd: websocket accept failed (%s); retrying in %lld ms (%lld such messages "
                   "suppressed)\n",
                   why.c_str(), static_cast<long long>(accept_delay_ms_),
                   static_cast<long long>(suppressed));
    }
    accept_timer_->expires_after(std::chrono::milliseconds(accept_delay_ms_));
    accept_timer_->async_wait([this](const websocketpp::lib::asio::error_code& ec) {
      if (!ec) Accept();
    });
  }

  void StopListening() {
    websocketpp::lib::error_code ec;
    if (server_.is_listening()) server_.stop_listening(ec);
    if (accept_timer_) accept_timer_->cancel();
    // A pending timer would keep the loop running after the last connection.
    load_expiry_stopped_ = true;
    if (load_expiry_timer_) load_expiry_timer_->cancel();
  }

  // --- Upgrades and plain HTTP ------------------------------------------

  // Refuses an upgrade with `status` and a JSON error body.
  static bool Refuse(const Server::connection_ptr& con,
                     websocketpp::http::status_code::value status, const char* code,
                     const char* message) {
    con->set_status(status);
    con->append_header("Content-Type", "application/json");
    con->set_body(std::string("{\"error\":{\"code\":\"") + code + "\",\"message\":\"" + message +
                  "\"}}");
    return false;
  }

  // none mode (security.md, DNS rebinding): a page on another name that
  // resolves to this address says that name in Host. No Host: not checked.
  bool HostAllowed(const Server::connection_ptr& con) const {
    const std::string& host = con->get_request_header("Host");
    return host.empty() || options_.hosts.Allows(host);
  }

  static constexpr const char* kForbiddenHostMessage =
      "this Host is not served; add it to --allowed-hosts if it is yours";

  bool OnValidate(Hdl h) {
    Server::connection_ptr con = server_.get_con_from_hdl(h);
    if (!HostAllowed(con)) {
      return Refuse(con, websocketpp::http::status_code::forbidden, "forbidden_host",
                    kForbiddenHostMessage);
    }
    // A browser always sends Origin; another page's script must not reach a
    // tenant through the user's browser (accounts.md, CORS). Without Origin
    // (not a browser) this check does not apply.
    const std::string& origin = con->get_request_header("Origin");
    if (!origin.empty() && !options_.origins.Allows(origin)) {
      return Refuse(con, websocketpp::http::status_code::forbidden, "forbidden_origin",
                    "this origin may not open WebSocket connections");
    }
    const PathTenant path = TenantFromPath(con->get_resource());
    if (path.kind == PathTenant::Kind::kUnknownPath) {
      return Refuse(con, websocketpp::http::status_code::not_found, "not_found",
                    "unknown WebSocket path");
    }
    if (path.kind == PathTenant::Kind::kInvalidTenant) {
      // path.error is one of CheckIdentifier's fixed texts: no quotes to escape.
      return Refuse(con, websocketpp::http::status_code::bad_request, "invalid_tenant",
                    path.error.c_str());
    }
    if (options_.authorize) {
      // Token mode (accounts.md): the same bodies whatever the tenant, so
      // they reveal nothing about it (not even whether it exists).
      WsAuthorization verdict =
          options_.authorize(path.tenant, con->get_request_header("Authorization"),
                             QueryValue(con->get_resource(), "access_token"));
      if (verdict.status == 401) {
        con->append_header("WWW-Authenticate", "Bearer");
        return Refuse(con, websocketpp::http::status_code::unauthorized, "unauthorized",
                      "a valid access token is required");
      }
      if (verdict.status != 0) {
        return Refuse(con, websocketpp::http::status_code::forbidden, "forbidden",
                      "this token may not use this tenant");
      }
      if (verdict.expires_at_ms > 0) upgrade_expiry_[h] = verdict.expires_at_ms;
    }
    if (static_cast<int64_t>(conns_.size() + upgrading_.size()) >=
        static_cast<int64_t>(options_.max_connections)) {
      return Refuse(con, websocketpp::http::status_code::service_unavailable,
                    "too_many_connections",
                    "the server has as many WebSocket connections as it serves; try again later");
    }
    upgrading_.insert(h);
    return true;
  }

  void OnOpen(Hdl h) {
    upgrading_.erase(h);
    Server::connection_ptr con = server_.get_con_from_hdl(h);
    std::string tenant = TenantFromPath(con->get_resource()).tenant;
    uint64_t id = next_id_++;
    ids_[h] = id;
    Conn conn;
    conn.hdl = h;
    conn.tenant = tenant;
    if (auto expiry = upgrade_expiry_.find(h); expiry != upgrade_expiry_.end()) {
      conn.expiry_timer = std::make_shared<websocketpp::lib::asio::steady_timer>(
          server_.get_io_service(),
          std::chrono::milliseconds(std::max<int64_t>(0, expiry->second - clock_.NowMs())));
      conn.expiry_timer->async_wait([this, id](const websocketpp::lib::asio::error_code& e) {
        if (e) return;
        auto it = conns_.find(id);
        if (it != conns_.end()) {
          CloseConn(it->second, websocketpp::close::status::policy_violation, "token expired");
        }
      });
      upgrade_expiry_.erase(expiry);
    }
    conns_[id] = std::move(conn);
    router_.Open(id, tenant);
    UpdateCounts();
    CountTenant(tenant);
    Send(id, wire::StatusJson("online"));
    auto it = conns_.find(id);
    if (it != conns_.end()) {
      it->second.keepalive_timer =
          std::make_shared<websocketpp::lib::asio::steady_timer>(server_.get_io_service());
      SchedulePing(id, it->second, options_.ping_interval_ms);
    }
  }

  // --- Keep-alive (protocol.md) -----------------------------------------
  //
  // Per connection, one timer: wait the interval, send a ping, wait the pong
  // timeout; the next ping follows one interval after the last. websocketpp's
  // own pong timeout is not used: each ping() restarts it, so with an
  // interval shorter than the timeout it would never fire.
  //
  // The ping waits behind everything already queued for the connection (up
  // to --ws-max-buffered-bytes): a client reading a large load slowly sees
  // it only once it has read what came before. So a missing pong closes the
  // connection (1001) only when the client also took nothing from the
  // connection during the timeout (PeerTookData); while it keeps reading, the
  // deadline is pushed back by another timeout. A dead peer reads nothing
  // and is closed within interval + timeout of its last pong.

  void SchedulePing(uint64_t id, Conn& conn, int64_t delay_ms) {
    conn.keepalive_timer->expires_after(std::chrono::milliseconds(std::max<int64_t>(0, delay_ms)));
    conn.keepalive_timer->async_wait([this, id](const websocketpp::lib::asio::error_code& ec) {
      if (!ec) SendPing(id);
    });
  }

  void SendPing(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second.closing) return;
    Conn& conn = it->second;
    ProgressMark(conn, &conn.ping_acked, &conn.ping_buffered);
    websocketpp::lib::error_code ec;
    server_.ping(conn.hdl, std::string(), ec);
    if (ec) return;  // closing already: the close handler cleans up
    conn.awaiting_pong = true;
    AwaitPong(id, conn);
  }

  void AwaitPong(uint64_t id, Conn& conn) {
    conn.keepalive_timer->expires_after(std::chrono::milliseconds(options_.pong_timeout_ms));
    conn.keepalive_timer->async_wait([this, id](const websocketpp::lib::asio::error_code& e) {
      if (!e) OnPongDue(id);
    });
  }

  void OnPongDue(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second.closing) return;
    Conn& conn = it->second;
    if (conn.awaiting_pong) {
      if (PeerTookData(conn)) {
        // Slow but alive: the ping is still behind what it reads.
        AwaitPong(id, conn);
        return;
      }
      // A dead peer (a laptop that slept, a phone without network): close.
      // CloseConn's grace timer ends it if the close frame cannot go out.
      CloseConn(conn, websocketpp::close::status::going_away, "no pong");
      return;
    }
    SchedulePing(id, conn, options_.ping_interval_ms - options_.pong_timeout_ms);
  }

  // How far the peer has read: the bytes its TCP acknowledged (Linux
  // TCP_INFO, -1 when unknown) and what websocketpp still holds unsent.
  void ProgressMark(const Conn& conn, int64_t* acked, int64_t* buffered) {
    *acked = -1;
    *buffered = 0;
    websocketpp::lib::error_code ec;
    Server::connection_ptr con = server_.get_con_from_hdl(conn.hdl, ec);
    if (ec || !con) return;
    *buffered = static_cast<int64_t>(con->get_buffered_amount());
#ifdef __linux__
    // tcpi_bytes_acked (Linux 4.1) comes after glibc's struct tcp_info,
    // which stops at tcpi_total_retrans; the kernel's layout only grows.
    struct TcpInfo {
      tcp_info base;
      uint64_t pacing_rate;
      uint64_t max_pacing_rate;
      uint64_t bytes_acked;
    };
    static_assert(offsetof(TcpInfo, bytes_acked) == 120, "struct tcp_info layout");
    TcpInfo info{};
    socklen_t length = sizeof(info);
    if (::getsockopt(con->get_raw_socket().native_handle(), IPPROTO_TCP, TCP_INFO, &info,
                     &length) == 0 &&
        length >= sizeof(info)) {
      *acked = static_cast<int64_t>(info.bytes_acked);
    }
#endif
  }

  // Whether the peer took data from the connection since the last mark
  // (ping or deadline), beyond the ping itself; moves the mark. websocketpp
  // hands all it has queued to one write, so what it still holds says little
  // while that write drains: the peer's acknowledgements say it, and the
  // held bytes are the fallback where they are not known.
  bool PeerTookData(Conn& conn) {
    int64_t acked = 0, buffered = 0;
    ProgressMark(conn, &acked, &buffered);
    bool took = acked >= 0 && conn.ping_acked >= 0 ? acked - conn.ping_acked > kPingFrameBytes
                                                   : buffered < conn.ping_buffered;
    conn.ping_acked = acked;
    conn.ping_buffered = buffered;
    return took;
  }

  void OnPong(Hdl h) {
    auto id = ids_.find(h);
    if (id == ids_.end()) return;
    auto conn = conns_.find(id->second);
    if (conn != conns_.end()) conn->second.awaiting_pong = false;
  }

  void OnClose(Hdl h) {
    upgrading_.erase(h);
    upgrade_expiry_.erase(h);
    auto it = ids_.find(h);
    if (it == ids_.end()) return;
    uint64_t id = it->second;
    ids_.erase(it);
    auto conn = conns_.find(id);
    if (conn != conns_.end()) {
      buffered_total_ -= conn->second.buffered;
      if (conn->second.close_timer) conn->second.close_timer->cancel();
      // A pending timer would keep the Asio loop (and Shutdown) waiting.
      if (conn->second.keepalive_timer) conn->second.keepalive_timer->cancel();
      if (conn->second.expiry_timer) conn->second.expiry_timer->cancel();
      router_.Close(id);
      CountTenant(conn->second.tenant);
      conns_.erase(conn);
    }
    read_queues_.Drop(id);
    UpdateCounts();
    // Waiter lists are cleaned lazily when their result arrives.
  }

  // CORS as on the REST port (accounts.md): the origin is echoed only when
  // allowed (`*` when any origin is), and a disallowed one gets no CORS
  // header at all. The answer depends on Origin, hence Vary.
  // true when the request's origin may read the answer.
  bool AddCors(const Server::connection_ptr& con) {
    con->append_header("Vary", "Origin");
    const std::string& origin = con->get_request_header("Origin");
    if (options_.origins.any()) {
      con->append_header("Access-Control-Allow-Origin", "*");
      return true;
    }
    if (origin.empty() || !options_.origins.Allows(origin)) return false;
    con->append_header("Access-Control-Allow-Origin", origin);
    return true;
  }

  void OnHttp(Hdl h) {
    Server::connection_ptr con = server_.get_con_from_hdl(h);
    std::string path = con->get_resource();
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    con->append_header("Content-Type", "application/json");
    if (!HostAllowed(con)) {
      con->set_status(websocketpp::http::status_code::forbidden);
      con->set_body(std::string("{\"error\":{\"code\":\"forbidden_host\",\"message\":\"") +
                    kForbiddenHostMessage + "\"}}");
      return;
    }
    bool allowed = AddCors(con);
    const std::string& method = con->get_request().get_method();
    bool health = path == "/api/v1/websocket/health" || path == "/health";
    if (method == "OPTIONS" && health) {
      // A browser's CORS preflight.
      if (allowed) {
        con->append_header("Access-Control-Allow-Methods", "GET, OPTIONS");
        con->append_header("Access-Control-Allow-Headers", kPreflightHeaders);
      }
      con->set_status(websocketpp::http::status_code::no_content);
      return;
    }
    if (method == "GET" && health && options_.health_body) {
      // The health answer pings the database: a reader thread builds it.
      if (pool_.waiting() >= kMaxReadsTotal || con->defer_http_response()) {
        con->set_status(websocketpp::http::status_code::service_unavailable);
        con->set_body("{\"error\":{\"code\":\"busy\",\"message\":\"too many reads waiting\"}}");
        return;
      }
      // websocketpp keeps no reference to a connection that waits on its
      // deferred answer: it is held here until the answer is sent.
      uint64_t key = next_http_id_++;
      deferred_http_[key] = con;
      pool_.Submit([this, key] {
        if (options_.test_before_read) options_.test_before_read("health");
        std::string body = options_.health_body();
        websocketpp::lib::asio::post(server_.get_io_service(), [this, key, body = std::move(body)] {
          auto it = deferred_http_.find(key);
          if (it == deferred_http_.end()) return;
          Server::connection_ptr c = std::move(it->second);
          deferred_http_.erase(it);
          websocketpp::lib::error_code ec;
          c->set_status(websocketpp::http::status_code::ok);
          c->set_body(body);
          c->send_http_response(ec);
        });
      });
      return;
    }
    con->set_status(websocketpp::http::status_code::not_found);
    con->set_body(
        "{\"error\":{\"code\":\"not_found\",\"message\":\"no such route on the WebSocket port\"}}");
  }

  void UpdateCounts() {
    connection_count_ = router_.connections();
    tenant_count_ = router_.tenants();
  }

  // Mirrors one tenant's connection count for TenantConnections().
  void CountTenant(const std::string& tenant) {
    int64_t open = router_.TenantConnections(tenant);
    std::lock_guard<std::mutex> lock(tenant_sizes_mu_);
    if (open == 0) {
      tenant_sizes_.erase(tenant);
    } else {
      tenant_sizes_[tenant] = open;
    }
  }

  // Not closing, and not over the buffered-bytes cap that closes a slow client.
  bool Healthy(const Conn& conn) {
    if (conn.closing) return false;
    websocketpp::lib::error_code ec;
    Server::connection_ptr con = server_.get_con_from_hdl(conn.hdl, ec);
    return !ec && con &&
           static_cast<int64_t>(con->get_buffered_amount()) <= options_.max_buffered_bytes;
  }

  // --- Sending ----------------------------------------------------------

  void SetBuffered(Conn& conn, int64_t bytes) {
    buffered_total_ += bytes - conn.buffered;
    conn.buffered = bytes;
  }

  // Closes `conn` (once) with `code`; its unsent bytes stop counting.
  void CloseConn(Conn& conn, websocketpp::close::status::value code, const std::string& reason) {
    if (conn.closing) return;
    conn.closing = true;
    SetBuffered(conn, 0);
    websocketpp::lib::error_code ec;
    server_.close(conn.hdl, code, reason, ec);
    // The close frame waits behind everything the client has not read, and
    // websocketpp has no write timeout: a client that does not read would
    // keep the connection and its buffers for ever. After kCloseGrace its
    // socket operations are cancelled, which ends the connection.
    conn.close_timer = std::make_shared<websocketpp::lib::asio::steady_timer>(
        server_.get_io_service(), kCloseGrace);
    conn.close_timer->async_wait(
        [this, hdl = conn.hdl](const websocketpp::lib::asio::error_code& e) {
          if (e) return;
          websocketpp::lib::error_code gone;
          Server::connection_ptr con = server_.get_con_from_hdl(hdl, gone);
          if (gone || !con) return;
          websocketpp::lib::asio::error_code ignored;
          con->get_raw_socket().cancel(ignored);
        });
  }

  // Over the budget of all connections' unsent bytes: looks again at every
  // connection (the cached figures only grow between sends) and closes the
  // one holding the most. O(connections), only when over the budget.
  // Returns false when that was `current`.
  bool EnforceTotalBudget(uint64_t current, int64_t adding) {
    if (buffered_total_ + adding <= options_.max_buffered_total_bytes) return true;
    uint64_t worst = current;
    int64_t worst_bytes = -1;
    for (auto& [id, conn] : conns_) {
      if (conn.closing) continue;
      websocketpp::lib::error_code ec;
      Server::connection_ptr con = server_.get_con_from_hdl(conn.hdl, ec);
      SetBuffered(conn, ec || !con ? 0 : static_cast<int64_t>(con->get_buffered_amount()));
      if (conn.buffered > worst_bytes) {
        worst = id;
        worst_bytes = conn.buffered;
      }
    }
    if (buffered_total_ + adding <= options_.max_buffered_total_bytes) return true;
    // A reply bigger than the whole budget: its own connection goes.
    if (adding > worst_bytes) worst = current;
    auto it = conns_.find(worst);
    if (it != conns_.end()) {
      int64_t suppressed = 0;
      if (close_log_.Allow(&suppressed)) {
        std::fprintf(stderr,
                     "syncd: websocket connection %llu closed (1008): %lld bytes unsent, all "
                     "connections together over %lld bytes (%lld such messages suppressed)\n",
                     static_cast<unsigned long long>(worst),
                     static_cast<long long>(it->second.buffered),
                     static_cast<long long>(options_.max_buffered_total_bytes),
                     static_cast<long long>(suppressed));
      }
      slow_closes_.fetch_add(1);
      CloseConn(it->second, websocketpp::close::status::policy_violation,
                "server send buffers full");
    }
    return worst != current;
  }

  // Hands `json` to connection `id`'s socket. false when it was not: the
  // connection is gone or closing, it was closed now because too much is
  // unsent, or websocketpp refused the frame (then it is closed with 1011:
  // the client reconnects and resends, and results are durable).
  bool Send(uint64_t id, const std::string& json) override {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second.closing) return false;
    Conn& conn = it->second;
    websocketpp::lib::error_code ec;
    Server::connection_ptr con = server_.get_con_from_hdl(conn.hdl, ec);
    if (ec || !con) return false;
    SetBuffered(conn, static_cast<int64_t>(con->get_buffered_amount()));
    if (conn.buffered > options_.max_buffered_bytes) {
      // The client does not read: stop buffering for it. Its results are
      // durable; resending after a reconnect replays them.
      slow_closes_.fetch_add(1);
      CloseConn(conn, websocketpp::close::status::policy_violation, "client too slow");
      return false;
    }
    if (!EnforceTotalBudget(id, static_cast<int64_t>(json.size()))) return false;
    if (options_.test_refuse_send && options_.test_refuse_send(json)) {
      ec = con->send(std::string("\xff\xfe"), websocketpp::frame::opcode::text);
    } else if (json.size() > kFragmentBytes) {
      ec = SendFragmented(*con, json);
    } else {
      ec = con->send(json, websocketpp::frame::opcode::text);
    }
    if (ec) {
      // Never the payload: it holds tenant data.
      int64_t suppressed = 0;
      if (send_log_.Allow(&suppressed)) {
        std::fprintf(stderr,
                     "syncd: websocket send failed on connection %llu: %s; closing it (1011) "
                     "(%lld such messages suppressed)\n",
                     static_cast<unsigned long long>(id), ec.message().c_str(),
                     static_cast<long long>(suppressed));
      }
      CloseConn(conn, websocketpp::close::status::internal_endpoint_error,
                "could not send a reply");
      return false;
    }
    SetBuffered(conn, static_cast<int64_t>(con->get_buffered_amount()));
    return true;
  }

  // One message as frames of at most kFragmentBytes (a text frame, then
  // continuation frames; RFC 6455 5.4). websocketpp copies a message twice
  // on its way out (into a message, then into the framed one it queues):
  // for a load of tens of megabytes, which its answer already holds once,
  // that was two more copies of it at once. Per fragment it is two copies of
  // one fragment, and only the framed ones wait in the queue. All fragments
  // are queued here, on the Asio thread, so no other message of this
  // connection comes between them. Cut at UTF-8 character boundaries:
  // websocketpp checks each text frame alone.
  static websocketpp::lib::error_code SendFragmented(Server::connection_type& con,
                                                     const std::string& json) {
    websocketpp::lib::error_code ec;
    for (size_t at = 0; at < json.size() && !ec;) {
      size_t n = std::min(kFragmentBytes, json.size() - at);
      while (at + n < json.size() && n > 1 &&
             (static_cast<unsigned char>(json[at + n]) & 0xC0) == 0x80) {
        --n;  // json[at + n] continues a character: cut before it
      }
      Server::message_ptr msg = con.get_message(
          at == 0 ? websocketpp::frame::opcode::text : websocketpp::frame::opcode::continuation, n);
      msg->append_payload(json.data() + at, n);
      msg->set_fin(at + n == json.size());
      ec = con.send(msg);
      at += n;
    }
    return ec;
  }

  // Frames are handled by frame_handlers.cc; this only finds the connection.
  void OnMessage(Hdl h, Server::message_ptr msg) {
    int64_t received_us = common::MonotonicMicros();
    auto it = ids_.find(h);
    if (it == ids_.end()) return;
    FrameContext ctx;
    ctx.connection = it->second;
    ctx.tenant = conns_[ctx.connection].tenant;
    ctx.received_us = received_us;
    ctx.services = &services_;
    ConnReplies replies(this, ctx.connection);
    HandleFrame(ctx, msg->get_payload(), replies);
  }

  // --- Reads (request_initial_data, data_status_request) ----------------
  //
  // The read and its serialisation run on a reader thread; the finished
  // text comes back to this thread, which sends it if the connection is
  // still open and then starts that connection's next read. One read per
  // connection at a time keeps its answers in request order; beyond
  // kMaxReadsPerConnection waiting (or kMaxReadsTotal for the server) a
  // request is answered {"type":"error","code":"busy"}.
  void StartRead(uint64_t id, const std::string& type, const char* kind,
                 std::function<ReadAnswer()> read) {
    ReadQueues::Admit admit = read_queues_.Add(id, [this, id, kind, read = std::move(read)] {
      pool_.Submit([this, id, kind, read] {
        if (options_.test_before_read) options_.test_before_read(kind);
        ReadAnswer reply;
        try {
          reply = read();
        } catch (const std::exception& e) {
          // The exception's text is for the log, never for the client.
          std::fprintf(stderr, "syncd: websocket %s read failed: %s\n", kind, e.what());
          reply = OneMessage(wire::ErrorJson(
              "internal_error", std::string("could not read: ") + pipeline::kDatabaseUnavailable));
        }
        websocketpp::lib::asio::post(server_.get_io_service(),
                                     [this, id, reply = std::move(reply)] {
                                       // All messages of one answer in one go:
                                       // a later read of this connection starts
                                       // only after Done, so pages of two loads
                                       // never interleave.
                                       if (reply) {
                                         for (const std::string& message : *reply) {
                                           if (!Send(id, message)) break;
                                         }
                                       }
                                       read_queues_.Done(id);
                                       ScheduleLoadExpiry();
                                     });
      });
    });
    if (admit == ReadQueues::Admit::kBusy) {
      Send(id, wire::ErrorJson(
                   "busy", "too many reads in progress; wait for the answers to the earlier ones",
                   &type));
    }
  }

  // Kept initial-data answers go keep_ms after they were built even when no
  // further load comes to drop them (LoadCache::Expire). One timer, armed
  // while anything is kept. Asio thread.
  void ScheduleLoadExpiry() {
    if (load_expiry_armed_ || load_expiry_stopped_ || loads_.kept_bytes() == 0) return;
    if (!load_expiry_timer_) {
      load_expiry_timer_ =
          std::make_unique<websocketpp::lib::asio::steady_timer>(server_.get_io_service());
    }
    load_expiry_armed_ = true;
    load_expiry_timer_->expires_after(std::chrono::milliseconds(loads_.keep_ms() + 100));
    load_expiry_timer_->async_wait([this](const websocketpp::lib::asio::error_code& ec) {
      load_expiry_armed_ = false;
      if (ec) return;  // cancelled: the server is stopping
      loads_.Expire(clock_.NowMs());
      ScheduleLoadExpiry();
    });
  }

  // One running + three waiting reads per connection; 1024 for the server.
  static constexpr size_t kMaxReadsPerConnection = 4;
  static constexpr size_t kMaxReadsTotal = 1024;
  // Larger messages go out as fragments of this size (SendFragmented).
  static constexpr size_t kFragmentBytes = 1 << 20;
  static constexpr std::chrono::milliseconds kCloseGrace{2000};
  // An empty ping frame: its own acknowledgement is no sign of reading.
  static constexpr int64_t kPingFrameBytes = 2;

  const WsOptions options_;
  pipeline::Pipeline* pipeline_;
  db::ReadStore* reads_;
  common::SystemClock clock_;
  Server server_;
  std::thread thread_;
  std::future<void> loop_done_;
  int port_ = 0;
  std::atomic<bool> up_{false};
  std::atomic<int64_t> connection_count_{0}, tenant_count_{0};
  // Connections closed with 1008 because they did not read (their own
  // --ws-max-buffered-bytes, or the budget of all connections), since start.
  std::atomic<int64_t> slow_closes_{0};
  // Shared answers of initial data loads (reader threads). Declared before
  // pool_: the reader threads are joined before it goes.
  // Dropped answers are freed by a job of their own on a reader thread, not
  // inside the request that dropped them.
  LoadCache loads_{LoadCache::Limits{}, [this](std::vector<LoadCache::Pages> dropped) {
                     pool_.Submit([dropped = std::move(dropped)] {});
                   }};
  // Declared after server_: stopped and destroyed before it.
  ReaderPool pool_;
  mutable std::mutex tenant_sizes_mu_;  // a copy of by_tenant_'s sizes, for other threads
  std::map<std::string, int64_t> tenant_sizes_;

  // Asio thread only.
  uint64_t next_id_ = 1;
  std::map<Hdl, uint64_t, std::owner_less<Hdl>> ids_;
  // Upgrades validated but not open yet (they count against max_connections).
  std::set<Hdl, std::owner_less<Hdl>> upgrading_;
  // Token mode: when each validated upgrade's token expires (epoch ms).
  std::map<Hdl, int64_t, std::owner_less<Hdl>> upgrade_expiry_;
  ReadQueues read_queues_;
  // Health requests waiting for their answer from a reader thread.
  std::unordered_map<uint64_t, Server::connection_ptr> deferred_http_;
  uint64_t next_http_id_ = 1;
  int64_t buffered_total_ = 0;  // sum of Conn::buffered
  std::unique_ptr<websocketpp::lib::asio::steady_timer> accept_timer_;
  std::unique_ptr<websocketpp::lib::asio::steady_timer> load_expiry_timer_;
  bool load_expiry_armed_ = false;
  bool load_expiry_stopped_ = false;
  int64_t accept_delay_ms_ = 0;
  LogLimiter accept_log_{1, std::chrono::seconds(10)};
  LogLimiter send_log_{5, std::chrono::seconds(10)};
  LogLimiter close_log_{5, std::chrono::seconds(10)};
  std::unordered_map<uint64_t, Conn> conns_;
  // Connection registry and waiters; Asio thread only.
  ResultRouter router_;
  FrameServices services_;
};

WsServer::WsServer(WsOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads)
    : impl_(std::make_unique<Impl>(std::move(options), pipeline, reads)) {}
WsServer::~WsServer() = default;
common::Status WsServer::Start() { return impl_->Start(); }
int WsServer::port() const { return impl_->port(); }
int64_t WsServer::connections() const { return impl_->connections(); }
int64_t WsServer::tenants() const { return impl_->tenants(); }
int64_t WsServer::slow_closes() const { return impl_->slow_closes(); }
int64_t WsServer::initial_load_reads() const { return impl_->initial_load_reads(); }
int64_t WsServer::initial_load_shared() const { return impl_->initial_load_shared(); }
std::map<std::string, int64_t> WsServer::TenantConnections() const {
  return impl_->TenantConnections();
}
bool WsServer::up() const { return impl_->up(); }
void WsServer::CloseTenant(const std::string& tenant) { impl_->CloseTenant(tenant); }
void WsServer::StopAccepting() { impl_->StopAccepting(); }
void WsServer::Shutdown(int64_t deadline_ms) { impl_->Shutdown(deadline_ms); }

}  // namespace syncd::ws
