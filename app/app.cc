#include "syncd/app/app.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <utility>

#include "syncd/api/http_server.h"
#include "syncd/auth/directory.h"
#include "syncd/auth/tokens.h"
#include "syncd/common/clock.h"
#include "syncd/db/account_store.h"
#include "syncd/db/console_store.h"
#include "syncd/db/fault_injecting_store.h"
#include "syncd/db/postgres_store.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/pipeline/pipeline.h"
#include "syncd/wire/data_status.h"
#include "syncd/wire/health.h"
#include "syncd/ws/ws_server.h"

#ifndef SYNCD_SOURCE_DIR
#define SYNCD_SOURCE_DIR "."
#endif

namespace syncd::app {

struct App::Parts {
  Options options;
  common::SystemClock clock;
  std::unique_ptr<db::ReadStore> ws_reads;
  std::unique_ptr<db::ReadStore> http_reads;
  std::unique_ptr<db::ConsoleStore> console_store;
  std::unique_ptr<db::AccountStore> accounts;
  auth::Directory directory;
  std::unique_ptr<pipeline::Pipeline> pipeline;
  std::unique_ptr<ws::WsServer> ws;
  std::unique_ptr<api::HttpServer> http;
  // PostgreSQL: what the other instances finish, to this instance's
  // connections. Declared last: stopped before the parts it delivers to.
  std::unique_ptr<db::FinishedListener> listener;
  std::unique_ptr<db::FinishedListener> accounts_listener;  // PostgreSQL: syncd_accounts
  // The WebSocket server as the heartbeat thread (PostgreSQL) may read it:
  // set once it exists, cleared before it goes away.
  std::mutex ws_mu;
  ws::WsServer* ws_live = nullptr;
  int64_t LiveConnections() {
    std::lock_guard<std::mutex> lock(ws_mu);
    return ws_live != nullptr ? ws_live->connections() : 0;
  }
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool shut_down = false;
};

namespace {

// scale.md: host name + pid by default; a random suffix too, so that two
// containers with the same host name and pid 1 still differ.
std::string DefaultInstanceId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%04x", random() & 0xffff);
  return std::string(host[0] ? host : "syncd") + "-" + std::to_string(getpid()) + "-" + suffix;
}

// The stores of one database: the write side, two read sides and the
// console's. nullptr in `writes` (and *status) on failure.
struct Stores {
  std::unique_ptr<db::WriteStore> writes;
  std::unique_ptr<db::ReadStore> ws_reads, http_reads;
  std::unique_ptr<db::ConsoleStore> console;
  std::unique_ptr<db::AccountStore> accounts;
};

Stores OpenStores(const Options& options, std::function<int64_t()> connections,
                  common::Status* status) {
  Stores out;
  std::unique_ptr<db::WriteStore> writes;
  if (db::IsPostgresUrl(options.db)) {
    db::PostgresOptions pg;
    pg.url = options.db;
    pg.instance_id = options.instance_id;
    pg.heartbeat_ms = options.heartbeat_ms;
    pg.instance_timeout_ms = options.instance_timeout_ms;
    pg.connections = std::move(connections);
    writes = db::OpenPostgresWriteStore(pg, status);
    if (writes) out.ws_reads = db::OpenPostgresReadStore(pg, status);
    if (out.ws_reads) out.http_reads = db::OpenPostgresReadStore(pg, status);
    if (out.http_reads) out.console = db::OpenPostgresConsoleStore(pg, status);
    if (out.console) out.accounts = db::OpenPostgresAccountStore(pg, status);
  } else {
    db::SqliteOptions sqlite;
    sqlite.path = options.db;
    sqlite.synchronous = options.synchronous;
    writes = db::OpenSqliteWriteStore(sqlite, status);
    // The WebSocket reads are mostly whole-tenant scans (initial data loads,
    // data status): they gain little from mapping the file or from a large
    // page cache, and both cost. A scan of a 100,000-entity tenant mapped in
    // ~100 MB of the file (RSS), and the first read after each write threw
    // away a 32 MiB page cache (milliseconds, in every incremental load). The
    // OS page cache still serves the file.
    db::SqliteOptions ws_sqlite = sqlite;
    ws_sqlite.mmap_bytes = 0;
    ws_sqlite.cache_kib = 4096;
    if (writes) out.ws_reads = db::OpenSqliteReadStore(ws_sqlite, status);
    if (out.ws_reads) out.http_reads = db::OpenSqliteReadStore(sqlite, status);
    if (out.http_reads) out.console = db::OpenSqliteConsoleStore(sqlite, status);
    if (out.console) out.accounts = db::OpenSqliteAccountStore(sqlite, status);
  }
  if (out.accounts) out.writes = std::move(writes);
  return out;
}

// The users and tenant owners the access checks need, from the store.
common::Status LoadDirectory(db::AccountStore* accounts, auth::Directory* directory) {
  std::vector<db::UserRow> users;
  common::Status s = accounts->ListUsers(&users);
  if (!s.ok()) return s;
  for (const db::UserRow& u : users) {
    directory->PutUser(u.uuid, auth::ParseRole(u.role).value_or(auth::Role::kUser));
  }
  std::vector<db::TenantRow> tenants;
  s = accounts->ListTenants("", &tenants);
  if (!s.ok()) return s;
  for (const db::TenantRow& t : tenants) directory->PutTenant(t.uuid, t.user_id);
  return common::Status::Ok();
}

api::AuthOptions AuthOptionsOf(const Options& options) {
  api::AuthOptions auth;
  auth.required = options.auth == "token";
  auth.keys.hmac_secret = options.jwt_secret;
  auth.keys.public_key_pem = options.jwt_public_key;
  if (!auth.required && auth.keys.hmac_secret.empty()) {
    // none mode still signs users in (the frontend's accounts routes work):
    // with a key of this run only, so its tokens end with the process.
    auth.keys.hmac_secret = auth::NewRefreshToken();
  }
  auth.access_ttl_s = options.access_token_ttl_s;
  auth.refresh_ttl_s = options.refresh_token_ttl_s;
  return auth;
}

// The whole directory read again (PostgreSQL: another instance changed
// users or tenants). Returns the tenants that are gone.
std::vector<std::string> ReloadDirectory(db::AccountStore* accounts, auth::Directory* directory) {
  std::vector<db::UserRow> users;
  std::vector<db::TenantRow> tenants;
  if (!accounts->ListUsers(&users).ok() || !accounts->ListTenants("", &tenants).ok()) {
    return {};  // kept as it was; the next announcement or miss reads again
  }
  std::map<std::string, auth::Role> roles;
  for (const db::UserRow& u : users) {
    roles[u.uuid] = auth::ParseRole(u.role).value_or(auth::Role::kUser);
  }
  std::map<std::string, std::string> owners;
  for (const db::TenantRow& t : tenants) owners[t.uuid] = t.user_id;
  return directory->Replace(std::move(roles), std::move(owners));
}

// A user or tenant the directory lacks may have been created a moment ago
// (on another instance, or by `syncd user add`): read it from the store
// before refusing. A refusal costs one indexed read.
void RefreshMissing(db::AccountStore* accounts, auth::Directory* directory,
                    const std::string& user_id, const std::string& tenant) {
  if (!user_id.empty() && !directory->UserRole(user_id)) {
    std::optional<db::UserRow> user;
    if (accounts->FindUser(user_id, &user).ok() && user) {
      directory->PutUser(user->uuid, auth::ParseRole(user->role).value_or(auth::Role::kUser));
    }
  }
  if (!tenant.empty() && !directory->OwnerOf(tenant)) {
    std::optional<db::TenantRow> row;
    if (accounts->FindTenant(tenant, &row).ok() && row)
      directory->PutTenant(row->uuid, row->user_id);
  }
}

// Token mode's WebSocket upgrade check (accounts.md): a token from the
// Authorization header or the access_token query value; its user must
// exist (syncd's own tokens) and it must be allowed the tenant. On the Asio
// thread: the in-memory directory is read, and the store only when the
// directory lacks the user or the tenant (RefreshMissing).
ws::WsAuthorization AuthorizeUpgrade(const auth::TokenKeys& keys, auth::Directory& directory,
                                     db::AccountStore* accounts, const std::string& tenant,
                                     const std::string& authorization,
                                     const std::string& query_token, int64_t now_ms) {
  ws::WsAuthorization out;
  std::string token = auth::BearerToken(authorization);
  if (token.empty()) token = query_token;
  auth::Principal caller;
  if (token.empty() ||
      auth::VerifyAccessToken(keys, token, now_ms / 1000, &caller) != auth::TokenError::kNone) {
    out.status = 401;
    return out;
  }
  RefreshMissing(accounts, &directory, caller.external ? "" : caller.user_id, tenant);
  if (!caller.external) {
    std::optional<auth::Role> role = directory.UserRole(caller.user_id);
    if (!role) {
      out.status = 401;
      return out;
    }
    caller.role = *role;
  }
  if (auth::CheckTenant(&caller, tenant, directory.OwnerOf(tenant)) != auth::Decision::kAllow) {
    out.status = 403;
    return out;
  }
  // Closed when the upgrade check would refuse the token: past exp by
  // more than the leeway, not at exp (a token 20 s late is let in above).
  out.expires_at_ms = (caller.expires_at_s + auth::kExpiryLeewayS) * 1000;
  return out;
}

}  // namespace

std::unique_ptr<App> App::Create(const Options& options, common::Status* status) {
  auto parts = std::make_unique<Parts>();
  parts->options = options;
  if (parts->options.instance_id.empty()) parts->options.instance_id = DefaultInstanceId();
  if (parts->options.openapi_path.empty()) {
    parts->options.openapi_path = std::string(SYNCD_SOURCE_DIR) + "/openapi.yaml";
  }
  if (parts->options.console_dir.empty()) {
    parts->options.console_dir = std::string(SYNCD_SOURCE_DIR) + "/console/dist";
  }
  Parts* raw = parts.get();
  Stores stores = OpenStores(
      parts->options, [raw] { return raw->LiveConnections(); }, status);
  if (!stores.writes) return nullptr;
  std::unique_ptr<db::WriteStore> writes = std::move(stores.writes);
  if (options.fault_commit_rate > 0) {
    auto faulty = std::make_unique<db::FaultInjectingStore>(std::move(writes));
    faulty->SetApplyCommitFailureRate(options.fault_commit_rate, options.fault_seed);
    std::fprintf(stderr,
                 "syncd: WARNING: SYNCD_FAULT_COMMIT_RATE=%.3f (seed %llu): that fraction of "
                 "apply commits will fail on purpose (test hook)\n",
                 options.fault_commit_rate, static_cast<unsigned long long>(options.fault_seed));
    writes = std::move(faulty);
  }
  parts->ws_reads = std::move(stores.ws_reads);
  parts->http_reads = std::move(stores.http_reads);
  parts->console_store = std::move(stores.console);

  parts->accounts = std::move(stores.accounts);
  *status = LoadDirectory(parts->accounts.get(), &parts->directory);
  if (!status->ok()) return nullptr;
  api::AuthOptions auth = AuthOptionsOf(options);

  pipeline::PipelineOptions p;
  p.batch_max = options.batch_max;
  p.batch_wait_ms = options.batch_wait_ms;
  p.retry.max_attempts = options.max_attempts;
  p.retry.base_ms = options.retry_base_ms;
  p.retry.max_ms = options.retry_max_ms;
  p.queue_max = options.queue_max;
  p.lww_tie = options.lww_tie;
  p.result_retention_ms = options.result_retention_h * 3600 * 1000;
  // Several instances: look for a stopped instance's entries as often as
  // heartbeats are written.
  if (db::IsPostgresUrl(options.db)) p.orphan_scan_ms = options.heartbeat_ms;
  // Under the fault hook, SYNCD_FAULT_SEED also fixes the backoff jitter.
  if (options.fault_commit_rate > 0) p.rng_seed = options.fault_seed;
  parts->pipeline = std::make_unique<pipeline::Pipeline>(std::move(writes), p, &parts->clock);

  api::WsInfo ws_info;
  ws_info.connections = [raw] { return raw->ws ? raw->ws->connections() : 0; };
  ws_info.tenants = [raw] { return raw->ws ? raw->ws->tenants() : 0; };
  ws_info.slow_closes = [raw] { return raw->ws ? raw->ws->slow_closes() : 0; };
  ws_info.initial_load_reads = [raw] { return raw->ws ? raw->ws->initial_load_reads() : 0; };
  ws_info.initial_load_shared = [raw] { return raw->ws ? raw->ws->initial_load_shared() : 0; };
  ws_info.up = [raw] { return raw->ws && raw->ws->up(); };

  ws::WsOptions w;
  w.host = options.host;
  w.port = options.ws_port;
  w.max_message_bytes = options.max_message_bytes;
  w.max_buffered_bytes = options.ws_max_buffered_bytes;
  w.max_connections = options.max_connections;
  w.ping_interval_ms = int64_t{options.ws_ping_interval_s} * 1000;
  w.pong_timeout_ms = int64_t{options.ws_pong_timeout_s} * 1000;
  w.origins = options.cors;
  common::HostPolicy hosts;
  if (!auth.required) {
    // The list was validated when parsed; were it not, loopback and --host
    // only (never every Host).
    std::string error;
    std::optional<common::HostPolicy> parsed =
        common::HostPolicy::Restricted(options.host, options.allowed_hosts, &error);
    if (!parsed) parsed = common::HostPolicy::Restricted(options.host, "", &error);
    if (parsed) hosts = *parsed;
  }
  w.hosts = hosts;
  if (auth.required) {
    w.authorize = [raw, keys = auth.keys](const std::string& tenant,
                                          const std::string& authorization,
                                          const std::string& query_token) {
      return AuthorizeUpgrade(keys, raw->directory, raw->accounts.get(), tenant, authorization,
                              query_token, raw->clock.NowMs());
    };
  }
  w.health_body = [raw, ws_info] {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now() - raw->started)
                      .count();
    return wire::HealthJson(*raw->pipeline, *raw->ws_reads, ws_info.up, raw->http != nullptr,
                            raw->shut_down, uptime, "0.1.0");
  };
  w.data_status_body = [raw](const std::string& tenant,
                             const std::vector<domain::EntityType>& types) {
    return wire::DataStatusReplyJson(*raw->ws_reads, tenant, types, raw->clock.NowMs());
  };
  parts->ws =
      std::make_unique<ws::WsServer>(std::move(w), parts->pipeline.get(), parts->ws_reads.get());
  {
    std::lock_guard<std::mutex> lock(parts->ws_mu);
    parts->ws_live = parts->ws.get();
  }

  api::HttpOptions h;
  h.host = options.host;
  h.port = options.http_port;
  h.max_body_bytes = options.max_message_bytes;
  h.max_connections = options.max_connections;
  h.header_timeout_ms = options.http_header_timeout_ms;
  h.origins = options.cors;
  h.hosts = hosts;
  h.openapi_path = parts->options.openapi_path;
  h.console_dir = parts->options.console_dir;
  if (db::IsPostgresUrl(options.db)) h.instance_id = parts->options.instance_id;
  parts->http =
      std::make_unique<api::HttpServer>(h, parts->pipeline.get(), parts->http_reads.get(), ws_info);
  parts->http->UseAccounts(parts->accounts.get(), &parts->directory, auth,
                           [raw](const std::string& tenant) {
                             if (raw->ws) raw->ws->CloseTenant(tenant);
                           });
  parts->http->UseConsoleStore(parts->console_store.get(), [raw] {
    return raw->ws ? raw->ws->TenantConnections() : std::map<std::string, int64_t>();
  });
  *status = common::Status::Ok();
  return std::unique_ptr<App>(new App(std::move(parts)));
}

App::App(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

App::~App() { Shutdown(); }

common::Status App::Start() {
  common::Status s = parts_->pipeline->Start();
  if (!s.ok()) return s;
  const Options& options = parts_->options;
  if (db::IsPostgresUrl(options.db)) {
    db::PostgresOptions pg;
    pg.url = options.db;
    pg.instance_id = options.instance_id;
    pipeline::Pipeline* pipeline = parts_->pipeline.get();
    parts_->listener = db::StartPostgresListener(
        pg,
        [pipeline](const std::vector<db::FinishedEntry>& finished) {
          pipeline->DeliverFinishedElsewhere(finished);
        },
        &s);
    if (!s.ok()) return s;
    // Users and tenants other instances change: the directory follows, and
    // this instance's connections of a tenant deleted elsewhere close.
    Parts* raw = parts_.get();
    parts_->accounts_listener = db::StartPostgresAccountsListener(
        pg,
        [raw] {
          for (const std::string& tenant : ReloadDirectory(raw->accounts.get(), &raw->directory)) {
            if (raw->ws) raw->ws->CloseTenant(tenant);
          }
        },
        &s);
    if (!s.ok()) return s;
  }
  s = parts_->ws->Start();
  if (!s.ok()) return s;
  s = parts_->http->Start();
  if (!s.ok()) return s;
  std::fprintf(stderr, "syncd: websocket listening on %s:%d\n", parts_->options.host.c_str(),
               parts_->ws->port());
  std::fprintf(stderr, "syncd: http listening on %s:%d\n", parts_->options.host.c_str(),
               parts_->http->port());
  std::fprintf(stderr, "syncd: auth mode %s\n", parts_->options.auth.c_str());
  if (parts_->options.auth == "none" && !IsLoopbackHost(parts_->options.host)) {
    std::fprintf(stderr,
                 "syncd: warning: --auth none on %s: anyone who reaches these ports can read, "
                 "write and purge every tenant\n",
                 parts_->options.host.c_str());
  }
  if (parts_->options.cors.any()) {
    std::fprintf(stderr,
                 "syncd: warning: --cors-origins is *: any web page the user opens may use this "
                 "server through the browser\n");
  }
  const Options& o = parts_->options;
  if (db::IsPostgresUrl(o.db)) {
    std::fprintf(stderr, "syncd: database %s (PostgreSQL), instance %s\n",
                 db::RedactedUrl(o.db).c_str(), o.instance_id.c_str());
  } else {
    std::fprintf(stderr, "syncd: database %s (synchronous=%s)\n", o.db.c_str(),
                 o.synchronous.c_str());
  }
  return common::Status::Ok();
}

int App::ws_port() const { return parts_->ws->port(); }
int App::http_port() const { return parts_->http->port(); }

void App::Shutdown() {
  if (parts_->shut_down) return;
  parts_->shut_down = true;
  {
    std::lock_guard<std::mutex> lock(parts_->ws_mu);
    parts_->ws_live = nullptr;
  }
  parts_->http->BeginShutdown();
  parts_->ws->StopAccepting();
  // Everything accepted is applied and answered before the sockets close.
  parts_->pipeline->Stop(3000);
  parts_->listener.reset();
  parts_->accounts_listener.reset();
  parts_->ws->Shutdown(1000);
  parts_->http->Stop();
}

}  // namespace syncd::app
