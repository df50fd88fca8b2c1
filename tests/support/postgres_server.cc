#include "support/postgres_server.h"

#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>

#ifndef SYNCD_SOURCE_DIR
#define SYNCD_SOURCE_DIR "."
#endif

namespace syncd::test {

namespace {

// Output of a shell command (stdout), and whether it exited 0.
bool Capture(const std::string& command, std::string* out) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) out->append(buffer, n);
  int rc = pclose(pipe);
  while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
  return rc == 0;
}

std::string Script() { return std::string(SYNCD_SOURCE_DIR) + "/scripts/lib/pg-server.sh"; }

// The admin URL (database "postgres") of the server, or "" and *why.
std::string ServerUrl(std::string* why) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before tests start threads
  if (const char* url = std::getenv("SYNCD_TEST_POSTGRES_URL"); url != nullptr && *url) return url;
  // The server this process starts when SYNCD_TEST_POSTGRES_URL is not set,
  // stopped when the process exits.
  static std::mutex mu;
  static std::unique_ptr<PostgresServer> server;
  std::lock_guard<std::mutex> lock(mu);
  if (!server) server = std::make_unique<PostgresServer>();
  *why = server->why();
  return server->url();
}

// postgresql://u@h:p/db?x -> the same with database `name`.
std::string WithDatabase(const std::string& url, const std::string& name) {
  size_t start = url.find("://");
  size_t slash = url.find('/', start == std::string::npos ? 0 : start + 3);
  size_t query = url.find('?');
  std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + name + tail;
}

std::string DatabaseOf(const std::string& url) {
  size_t start = url.find("://");
  size_t slash = url.find('/', start + 3);
  size_t query = url.find('?');
  if (slash == std::string::npos) return "";
  return url.substr(slash + 1, (query == std::string::npos ? url.size() : query) - slash - 1);
}

}  // namespace

PostgresServer::PostgresServer() {
  std::string bindir;
  if (!Capture(Script() + " bindir 2>/dev/null", &bindir)) {
    why_ =
        "the PostgreSQL binaries (initdb, pg_ctl) are not installed "
        "(scripts/install-deps.sh --test installs them)";
    return;
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "syncd-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    why_ = "mkdtemp failed";
    return;
  }
  dir_ = pattern;
  // Traversable by the unprivileged user the server runs as.
  ::chmod(dir_.c_str(), 0711);
  if (!Start()) url_.clear();
}

PostgresServer::~PostgresServer() {
  if (dir_.empty()) return;
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool PostgresServer::Start() {
  std::string out;
  if (!Capture(Script() + " start '" + dir_ + "/pg' 2>&1", &out) ||
      out.find("postgresql://") == std::string::npos) {
    why_ = "could not start PostgreSQL: " + out;
    return false;
  }
  url_ = out.substr(out.rfind("postgresql://"));
  return true;
}

bool PostgresServer::Stop() {
  std::string out;
  return Capture(Script() + " stop '" + dir_ + "/pg' 2>&1", &out);
}

const char* EngineName(Engine engine) { return engine == Engine::kSqlite ? "Sqlite" : "Postgres"; }

std::string EngineParamName(const ::testing::TestParamInfo<Engine>& info) {
  return EngineName(info.param);
}

bool PostgresRequired() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before tests start threads
  const char* v = std::getenv("SYNCD_REQUIRE_POSTGRES");
  return v != nullptr && std::string(v) == "1";
}

std::string ExecPostgres(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

std::string CreatePostgresDatabase(std::string* why) {
  std::string server = ServerUrl(why);
  if (server.empty()) return "";
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}() & 0xffffff;
  std::string name = "syncd_t" + std::to_string(getpid()) + "_" + std::to_string(salt) + "_" +
                     std::to_string(counter.fetch_add(1));
  std::string error = ExecPostgres(server, "CREATE DATABASE " + name);
  if (!error.empty()) {
    *why = "CREATE DATABASE failed: " + error;
    return "";
  }
  return WithDatabase(server, name);
}

void DropPostgresDatabase(const std::string& url) {
  std::string name = DatabaseOf(url);
  if (name.rfind("syncd_t", 0) != 0) return;  // only what CreatePostgresDatabase made
  ExecPostgres(WithDatabase(url, "postgres"), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

}  // namespace syncd::test
