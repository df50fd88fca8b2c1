// A throwaway PostgreSQL server for the tests that run on both engines, and
// a fresh database per test on it.
//
// The server: SYNCD_TEST_POSTGRES_URL when set (scripts/test.sh starts one
// for the whole run, scripts/lib/pg-server.sh), otherwise one started by this
// process on first use through the same script (initdb into a temp folder,
// pg_ctl on a free port as an unprivileged user) and stopped at exit.
// Without the PostgreSQL binaries the PostgreSQL variants are skipped with a
// loud message, unless SYNCD_REQUIRE_POSTGRES=1 (CI), which makes that a
// failure: they never go quietly missing.
#ifndef SYNCD_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define SYNCD_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <gtest/gtest.h>

#include <string>

namespace syncd::test {

// The engines a parametrised suite runs on.
enum class Engine { kSqlite, kPostgres };
const char* EngineName(Engine engine);
// For INSTANTIATE_TEST_SUITE_P(..., ::testing::Values(...), EngineParamName).
std::string EngineParamName(const ::testing::TestParamInfo<Engine>& info);

// A new empty database on the shared server: its postgresql:// URL, or ""
// with *why set when there is no server (binaries missing, start failed).
std::string CreatePostgresDatabase(std::string* why);
// Drops a database made by CreatePostgresDatabase (connections closed first).
void DropPostgresDatabase(const std::string& url);
// Runs one SQL statement on the database of `url`; "" or the error.
std::string ExecPostgres(const std::string& url, const std::string& sql);

// Whether the run must fail rather than skip without PostgreSQL.
bool PostgresRequired();

// A server of one's own, for tests that stop and start it (the shared one
// must stay up): scripts/lib/pg-server.sh in a temporary folder. Stopped and
// removed at destruction.
class PostgresServer {
 public:
  PostgresServer();  // starts it; url() is "" and why() says why on failure
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  const std::string& url() const { return url_; }  // its "postgres" database
  const std::string& why() const { return why_; }
  bool Stop();   // pg_ctl stop -m fast
  bool Start();  // again: same files, same port

 private:
  std::string dir_, url_, why_;
};

}  // namespace syncd::test

// In a test body or SetUp: `url` becomes a fresh database's URL, or the test
// is skipped (loudly), or fails under SYNCD_REQUIRE_POSTGRES=1.
#define SYNCD_POSTGRES_DATABASE_OR_SKIP(url)                                          \
  do {                                                                                \
    std::string syncd_pg_why;                                                         \
    (url) = ::syncd::test::CreatePostgresDatabase(&syncd_pg_why);                     \
    if ((url).empty()) {                                                              \
      if (::syncd::test::PostgresRequired()) {                                        \
        FAIL() << "PostgreSQL required (SYNCD_REQUIRE_POSTGRES=1): " << syncd_pg_why; \
      }                                                                               \
      GTEST_SKIP() << "*** PostgreSQL variant SKIPPED: " << syncd_pg_why;             \
    }                                                                                 \
  } while (0)

// The same for a PostgresServer that did not start.
#define SYNCD_POSTGRES_SERVER_OR_SKIP(server)                                           \
  do {                                                                                  \
    if ((server).url().empty()) {                                                       \
      if (::syncd::test::PostgresRequired()) {                                          \
        FAIL() << "PostgreSQL required (SYNCD_REQUIRE_POSTGRES=1): " << (server).why(); \
      }                                                                                 \
      GTEST_SKIP() << "*** PostgreSQL variant SKIPPED: " << (server).why();             \
    }                                                                                   \
  } while (0)

#endif  // SYNCD_TESTS_SUPPORT_POSTGRES_SERVER_H_
