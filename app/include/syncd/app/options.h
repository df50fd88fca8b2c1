// Command-line and environment options (service.md, options table), parsed
// and validated once. A flag wins over its environment variable.
#ifndef SYNCD_APP_OPTIONS_H_
#define SYNCD_APP_OPTIONS_H_

#include <cstdint>
#include <string>

#include "syncd/common/host_policy.h"
#include "syncd/common/origin_policy.h"
#include "syncd/domain/lww.h"

namespace syncd::app {

struct Options {
  std::string host = "127.0.0.1";  // --host / SYNCD_HOST: address both servers bind
  int http_port = 8000;            // --http-port / SYNCD_HTTP_PORT (0: any free port)
  int ws_port = 8001;              // --ws-port / SYNCD_WS_PORT (0: any free port)
  // --db / SYNCD_DB: SQLite file, created with its folder, or a
  // postgresql:// URI (scale.md: several instances on one database).
  std::string db = "data/syncd.db";
  int batch_max = 512;                  // --batch-max: most entries in one apply transaction
  int batch_wait_ms = 2;                // --batch-wait-ms: longest wait for a batch to fill
  int max_attempts = 8;                 // --max-attempts: attempts before dead-lettering
  int64_t retry_base_ms = 20;           // --retry-base-ms: backoff base
  int64_t retry_max_ms = 5000;          // --retry-max-ms: backoff cap
  int64_t queue_max = 100000;           // --queue-max: unfinished entries before rate_limit_error
  int64_t max_message_bytes = 1048576;  // --max-message-bytes: largest frame / HTTP body
  int64_t result_retention_h = 168;     // --result-retention-h: how long results are kept
  // --ws-max-buffered-bytes: a WebSocket client with this much unsent (it
  // does not read) is closed with 1008 rather than buffered without bound.
  int64_t ws_max_buffered_bytes = 64LL << 20;
  // --ws-ping-interval-s / --ws-pong-timeout-s: a WebSocket ping control
  // frame every interval; a connection that has not answered one within the
  // timeout is closed (1001), so dead peers do not hold memory and waiters.
  int ws_ping_interval_s = 25;
  int ws_pong_timeout_s = 10;
  // --lww-tie / SYNCD_LWW_TIE: who wins an updated_at tie with a differing
  // state: the incoming change (default) or the stored state (the old rule).
  domain::TieRule lww_tie = domain::TieRule::kIncoming;
  std::string synchronous = "FULL";  // --sqlite-synchronous / SYNCD_SQLITE_SYNCHRONOUS
  std::string openapi_path;          // --openapi / SYNCD_OPENAPI: file for GET /openapi.yaml
  std::string console_dir;  // --console-dir / SYNCD_CONSOLE_DIR: built console (console/dist)
  // --max-connections / SYNCD_MAX_CONNECTIONS: open connections each port
  // serves at once; further ones are refused (503) instead of exhausting the
  // process's file descriptors for everyone.
  int max_connections = 4096;
  // Set when --max-connections was given: main then keeps it even when two
  // ports of it do not fit the descriptor limit (with a warning).
  bool max_connections_explicit = false;
  // --http-header-timeout-ms / SYNCD_HTTP_HEADER_TIMEOUT_MS: a REST
  // connection whose request has not fully arrived this long after it began
  // is answered 408 and closed (half-open and slow clients).
  int http_header_timeout_ms = 10000;
  // --cors-origins / SYNCD_CORS_ORIGINS: browser origins that may use syncd
  // (REST CORS and WebSocket upgrades); default loopback origins.
  common::OriginPolicy cors;
  // PostgreSQL only (scale.md). --instance-id / SYNCD_INSTANCE_ID names this
  // process in leases, logs and stats; empty: host name + pid + a random
  // suffix, chosen at start.
  std::string instance_id;
  // --heartbeat-ms / SYNCD_HEARTBEAT_MS: how often the instance's heartbeat
  // row is renewed.
  int64_t heartbeat_ms = 1000;
  // --instance-timeout-ms / SYNCD_INSTANCE_TIMEOUT_MS: an instance whose
  // heartbeat is older is dead; its unfinished rows are claimed again.
  int64_t instance_timeout_ms = 10000;
  // --allowed-hosts / SYNCD_ALLOWED_HOSTS: in none mode, names besides
  // loopback ones and --host that a request's Host header may carry
  // (security.md, DNS rebinding); validated, comma-separated.
  std::string allowed_hosts;
  // Accounts and access control (accounts.md). --auth / SYNCD_AUTH: "none"
  // or "token"; after parsing never empty: none on a loopback --host, else
  // token, unless spelled out.
  std::string auth;
  bool auth_explicit = false;  // --auth or SYNCD_AUTH was given
  // The HMAC secret of syncd's own tokens: the contents of --jwt-secret-file
  // or SYNCD_JWT_SECRET. Never printed.
  std::string jwt_secret;
  // --jwt-public-key-file / SYNCD_JWT_PUBLIC_KEY_FILE: an external provider's
  // PEM public key (RS256 or ES256), its contents.
  std::string jwt_public_key;
  int64_t access_token_ttl_s = 900;       // --access-token-ttl-s
  int64_t refresh_token_ttl_s = 2592000;  // --refresh-token-ttl-s (30 days)
  // Test hook (environment only): SYNCD_FAULT_COMMIT_RATE, SYNCD_FAULT_SEED.
  double fault_commit_rate = 0;
  uint64_t fault_seed = 1;
};

enum class ParseOutcome { kRun, kHelp, kError };

// Parses argv and the environment. kError: *error holds one line for stderr.
ParseOutcome ParseOptions(int argc, char** argv, Options* options, std::string* error);
std::string HelpText();

// Fills in --auth's default (none on a loopback host, else token), reads
// SYNCD_JWT_SECRET when no secret file was given, and refuses token mode
// without a key or a secret under 32 bytes. Called by ParseOptions.
bool ResolveAuth(Options* options, std::string* error);

// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost),
// parsed: `127.example.net` is not.
bool IsLoopbackHost(const std::string& host);

}  // namespace syncd::app

#endif  // SYNCD_APP_OPTIONS_H_
