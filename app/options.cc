#include "syncd/app/options.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>
#include <vector>

namespace syncd::app {

namespace {

bool ParseInt(const std::string& text, int64_t min, int64_t max, int64_t* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

// The contents of a key or secret file; *error when it cannot be read or is
// empty, never with its contents. `show_path`: whether *error may name the
// file: not for the secret's, since people pass the secret itself there.
// A trailing newline is not part of a secret.
std::string ReadSecretFile(const std::string& path, bool show_path, std::string* error) {
  const std::string name =
      show_path ? path : "the file (its name is not shown: it may be the secret)";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + name;
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string out = text.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (out.empty()) *error = name + " is empty";
  return out;
}

// syncd's HMAC key: at least 32 bytes (HS256's own output size).
constexpr size_t kMinJwtSecretBytes = 32;

struct Spec {
  const char* flag;
  const char* env;
  const char* help;
  // Applies a value; returns an error message or "".
  std::function<std::string(const std::string&, Options*)> apply;
};

std::function<std::string(const std::string&, Options*)> IntField(
    int64_t min, int64_t max, const std::function<void(Options*, int64_t)>& set) {
  return [=](const std::string& v, Options* o) -> std::string {
    int64_t n = 0;
    if (!ParseInt(v, min, max, &n)) {
      return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    }
    set(o, n);
    return "";
  };
}

const std::vector<Spec>& Specs() {
  static const std::vector<Spec> specs = {
      {"--host", "SYNCD_HOST", "address both servers bind (default 127.0.0.1)",
       [](const std::string& v, Options* o) -> std::string {
         if (v.empty()) return "must not be empty";
         o->host = v;
         return "";
       }},
      {"--http-port", "SYNCD_HTTP_PORT", "REST port (default 8000; 0 = any free port)",
       IntField(0, 65535, [](Options* o, int64_t n) { o->http_port = static_cast<int>(n); })},
      {"--ws-port", "SYNCD_WS_PORT", "WebSocket port (default 8001; 0 = any free port)",
       IntField(0, 65535, [](Options* o, int64_t n) { o->ws_port = static_cast<int>(n); })},
      {"--db", "SYNCD_DB",
       "SQLite file path, created with its folder if missing (default data/syncd.db), or a "
       "postgresql:// URI (several instances on one database)",
       [](const std::string& v, Options* o) -> std::string {
         if (v.empty()) return "must not be empty";
         o->db = v;
         return "";
       }},
      {"--instance-id", "SYNCD_INSTANCE_ID",
       "PostgreSQL: this instance's name in leases, logs and stats (default host-pid-random)",
       [](const std::string& v, Options* o) -> std::string {
         if (v.empty() || v.size() > 128) return "must be 1 to 128 characters";
         o->instance_id = v;
         return "";
       }},
      {"--heartbeat-ms", "SYNCD_HEARTBEAT_MS",
       "PostgreSQL: how often the instance renews its heartbeat (default 1000)",
       IntField(50, 600000, [](Options* o, int64_t n) { o->heartbeat_ms = n; })},
      {"--instance-timeout-ms", "SYNCD_INSTANCE_TIMEOUT_MS",
       "PostgreSQL: an instance silent this long is dead; others take its entries (default "
       "10000)",
       IntField(100, 3600000, [](Options* o, int64_t n) { o->instance_timeout_ms = n; })},
      {"--batch-max", "SYNCD_BATCH_MAX", "most entries in one apply transaction (default 512)",
       IntField(1, 100000, [](Options* o, int64_t n) { o->batch_max = static_cast<int>(n); })},
      {"--batch-wait-ms", "SYNCD_BATCH_WAIT_MS",
       "longest an entry waits for its batch to fill (default 2)",
       IntField(0, 10000, [](Options* o, int64_t n) { o->batch_wait_ms = static_cast<int>(n); })},
      {"--max-attempts", "SYNCD_MAX_ATTEMPTS",
       "attempts before an entry is dead-lettered (default 8)",
       IntField(1, 1000, [](Options* o, int64_t n) { o->max_attempts = static_cast<int>(n); })},
      {"--retry-base-ms", "SYNCD_RETRY_BASE_MS", "backoff base, full jitter (default 20)",
       IntField(0, 3600000, [](Options* o, int64_t n) { o->retry_base_ms = n; })},
      {"--retry-max-ms", "SYNCD_RETRY_MAX_MS", "backoff cap (default 5000)",
       IntField(0, 3600000, [](Options* o, int64_t n) { o->retry_max_ms = n; })},
      {"--queue-max", "SYNCD_QUEUE_MAX",
       "unfinished entries before new ones get rate_limit_error (default 100000)",
       IntField(1, 1000000000, [](Options* o, int64_t n) { o->queue_max = n; })},
      {"--max-message-bytes", "SYNCD_MAX_MESSAGE_BYTES",
       "largest WebSocket frame / HTTP body (default 1048576)",
       IntField(1024, 1LL << 30, [](Options* o, int64_t n) { o->max_message_bytes = n; })},
      {"--result-retention-h", "SYNCD_RESULT_RETENTION_H",
       "hours finished entries and their results are kept (default 168)",
       IntField(1, int64_t{24} * 3650, [](Options* o, int64_t n) { o->result_retention_h = n; })},
      {"--ws-max-buffered-bytes", "SYNCD_WS_MAX_BUFFERED_BYTES",
       "unsent bytes after which a client that does not read is closed (default 67108864)",
       IntField(4096, 1LL << 40, [](Options* o, int64_t n) { o->ws_max_buffered_bytes = n; })},
      {"--ws-ping-interval-s", "SYNCD_WS_PING_INTERVAL_S",
       "seconds between WebSocket ping control frames to each client (default 25; one ping "
       "is outstanding at a time, so at least --ws-pong-timeout-s apart)",
       IntField(1, 86400,
                [](Options* o, int64_t n) { o->ws_ping_interval_s = static_cast<int>(n); })},
      {"--ws-pong-timeout-s", "SYNCD_WS_PONG_TIMEOUT_S",
       "seconds a client has to answer a ping before it is closed with 1001, unless it read "
       "some of what was sent to it in that time (default 10)",
       IntField(1, 86400,
                [](Options* o, int64_t n) { o->ws_pong_timeout_s = static_cast<int>(n); })},
      {"--lww-tie", "SYNCD_LWW_TIE",
       "who wins an updated_at tie with a differing state: incoming (default; the replaced "
       "state is recorded as a client_wins_tie conflict) or stored (superseded)",
       [](const std::string& v, Options* o) -> std::string {
         auto rule = domain::ParseTieRule(v);
         if (!rule) return "must be incoming or stored";
         o->lww_tie = *rule;
         return "";
       }},
      {"--sqlite-synchronous", "SYNCD_SQLITE_SYNCHRONOUS",
       "FULL (default; survives power loss) or NORMAL (may lose the last commits on power loss)",
       [](const std::string& v, Options* o) -> std::string {
         if (v != "FULL" && v != "NORMAL") return "must be FULL or NORMAL";
         o->synchronous = v;
         return "";
       }},
      {"--max-connections", "SYNCD_MAX_CONNECTIONS",
       "open connections each port serves at once; more are refused (default 4096)",
       IntField(1, 1000000,
                [](Options* o, int64_t n) {
                  o->max_connections = static_cast<int>(n);
                  o->max_connections_explicit = true;
                })},
      {"--http-header-timeout-ms", "SYNCD_HTTP_HEADER_TIMEOUT_MS",
       "a REST request not fully received this long after it began gets 408 and its connection "
       "is closed (default 10000)",
       IntField(100, 3600000,
                [](Options* o, int64_t n) { o->http_header_timeout_ms = static_cast<int>(n); })},
      {"--cors-origins", "SYNCD_CORS_ORIGINS",
       "comma-separated browser origins allowed (REST CORS, WebSocket Origin); "
       "default http://localhost:*,http://127.0.0.1:*,http://[::1]:*; * = any (logged)",
       [](const std::string& v, Options* o) -> std::string {
         if (v.empty()) return "must not be empty (leave it out for the loopback default)";
         std::string error;
         auto policy = common::OriginPolicy::Parse(v, &error);
         if (!policy) return error;
         o->cors = std::move(*policy);
         return "";
       }},
      {"--allowed-hosts", "SYNCD_ALLOWED_HOSTS",
       "comma-separated host names (besides loopback names and --host) a request's Host header "
       "may carry in none mode; others get 403 forbidden_host (DNS rebinding)",
       [](const std::string& v, Options* o) -> std::string {
         if (v.empty())
           return "must not be empty (leave it out for loopback names and --host only)";
         std::string error;
         if (!common::HostPolicy::Restricted("", v, &error)) return error;
         o->allowed_hosts = v;
         return "";
       }},
      {"--auth", "SYNCD_AUTH",
       "none (no token needed) or token (every request needs an access token); default none "
       "on a loopback --host, else token",
       [](const std::string& v, Options* o) -> std::string {
         if (v != "none" && v != "token") return "must be none or token";
         o->auth = v;
         o->auth_explicit = true;
         return "";
       }},
      {"--jwt-secret-file", "SYNCD_JWT_SECRET_FILE",
       "file holding the HMAC secret (>= 32 bytes) of syncd's own tokens; or the secret itself "
       "in SYNCD_JWT_SECRET",
       [](const std::string& v, Options* o) -> std::string {
         std::string error;
         o->jwt_secret = ReadSecretFile(v, /*show_path=*/false, &error);
         return error.empty() ? "" : error;
       }},
      {"--jwt-public-key-file", "SYNCD_JWT_PUBLIC_KEY_FILE",
       "PEM public key (RS256 or ES256) of an external identity provider whose tokens are "
       "accepted too",
       [](const std::string& v, Options* o) -> std::string {
         std::string error;
         o->jwt_public_key = ReadSecretFile(v, /*show_path=*/true, &error);
         if (error.empty() &&
             o->jwt_public_key.find("-----BEGIN PUBLIC KEY-----") == std::string::npos) {
           error = v + " holds no PEM public key";
         }
         return error;
       }},
      {"--access-token-ttl-s", "SYNCD_ACCESS_TOKEN_TTL_S",
       "lifetime of an access token in seconds (default 900)",
       IntField(1, int64_t{24} * 3600, [](Options* o, int64_t n) { o->access_token_ttl_s = n; })},
      {"--refresh-token-ttl-s", "SYNCD_REFRESH_TOKEN_TTL_S",
       "lifetime of a refresh token in seconds (default 2592000, 30 days)",
       IntField(60, int64_t{3650} * 24 * 3600,
                [](Options* o, int64_t n) { o->refresh_token_ttl_s = n; })},
      {"--openapi", "SYNCD_OPENAPI",
       "file served at GET /openapi.yaml (default: next to the binary's source)",
       [](const std::string& v, Options* o) -> std::string {
         o->openapi_path = v;
         return "";
       }},
      {"--console-dir", "SYNCD_CONSOLE_DIR",
       "built operator console served at /console/ (default: console/dist of the source tree)",
       [](const std::string& v, Options* o) -> std::string {
         if (v.empty()) return "must not be empty";
         o->console_dir = v;
         return "";
       }},
  };
  return specs;
}

}  // namespace

std::string HelpText() {
  std::string text =
      "usage: syncd [options]\n"
      "A durable sync backend: WebSocket sync protocol and REST API over SQLite or PostgreSQL.\n\n"
      "Each option can also be set by its environment variable; the flag wins.\n";
  for (const Spec& s : Specs()) {
    std::string left = std::string("  ") + s.flag + " VALUE";
    left.resize(std::max<size_t>(left.size() + 1, 28), ' ');
    text += left + s.help + "  [" + s.env + "]\n";
  }
  text +=
      "  --help                    print this and exit\n"
      "  user add --operator --email E --name N [--db PATH]\n"
      "                            create an operator account (password read from standard "
      "input), then exit\n\n"
      "Test hook (environment only): SYNCD_FAULT_COMMIT_RATE (0-1) fails that fraction of\n"
      "apply commits with a transient error; SYNCD_FAULT_SEED makes it deterministic.\n";
  return text;
}

ParseOutcome ParseOptions(int argc, char** argv, Options* options, std::string* error) {
  for (const Spec& s : Specs()) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): options are read once, before any thread starts
    if (const char* v = std::getenv(s.env)) {
      std::string problem = s.apply(v, options);
      if (!problem.empty()) {
        *error = std::string(s.env) + " " + problem;
        return ParseOutcome::kError;
      }
    }
  }
  // NOLINTNEXTLINE(concurrency-mt-unsafe): as above, before any thread starts
  if (const char* v = std::getenv("SYNCD_FAULT_COMMIT_RATE")) {
    char* end = nullptr;
    double rate = std::strtod(v, &end);
    if (end == v || *end != '\0' || !(rate >= 0 && rate <= 1)) {
      *error = "SYNCD_FAULT_COMMIT_RATE must be a number from 0 to 1";
      return ParseOutcome::kError;
    }
    options->fault_commit_rate = rate;
  }
  // NOLINTNEXTLINE(concurrency-mt-unsafe): as above, before any thread starts
  if (const char* v = std::getenv("SYNCD_FAULT_SEED")) {
    int64_t seed = 0;
    if (!ParseInt(v, 0, INT64_MAX, &seed)) {
      *error = "SYNCD_FAULT_SEED must be a non-negative integer";
      return ParseOutcome::kError;
    }
    options->fault_seed = static_cast<uint64_t>(seed);
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return ParseOutcome::kHelp;
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    const Spec* spec = nullptr;
    for (const Spec& s : Specs()) {
      if (arg == s.flag) spec = &s;
    }
    if (spec == nullptr) {
      *error = "unknown option " + arg + " (see --help)";
      return ParseOutcome::kError;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = arg + " needs a value";
        return ParseOutcome::kError;
      }
      value = argv[++i];
    }
    std::string problem = spec->apply(value, options);
    if (!problem.empty()) {
      *error = arg;
      *error += " " + problem;
      return ParseOutcome::kError;
    }
  }
  if (options->instance_timeout_ms <= options->heartbeat_ms) {
    *error = "--instance-timeout-ms must be more than --heartbeat-ms";
    return ParseOutcome::kError;
  }
  if (options->retry_max_ms < options->retry_base_ms) {
    *error = "--retry-max-ms must be at least --retry-base-ms";
    return ParseOutcome::kError;
  }
  return ResolveAuth(options, error) ? ParseOutcome::kRun : ParseOutcome::kError;
}

bool IsLoopbackHost(const std::string& host) { return common::IsLoopbackHost(host); }

bool ResolveAuth(Options* options, std::string* error) {
  if (options->jwt_secret.empty()) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): options are read once, before any thread starts
    if (const char* v = std::getenv("SYNCD_JWT_SECRET")) options->jwt_secret = v;
  }
  if (!options->jwt_secret.empty() && options->jwt_secret.size() < kMinJwtSecretBytes) {
    *error = "the JWT secret (--jwt-secret-file / SYNCD_JWT_SECRET) must have at least 32 bytes";
    return false;
  }
  if (options->auth.empty()) options->auth = IsLoopbackHost(options->host) ? "none" : "token";
  if (options->auth == "token" && options->jwt_secret.empty() && options->jwt_public_key.empty()) {
    *error =
        "--auth token needs a signing key: --jwt-secret-file or SYNCD_JWT_SECRET (or "
        "--jwt-public-key-file for an external provider's tokens)";
    return false;
  }
  return true;
}

}  // namespace syncd::app
