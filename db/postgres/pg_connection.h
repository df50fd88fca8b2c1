// Private: one libpq connection with named prepared statements, for the
// PostgreSQL write store and the heartbeat (the hot path: SOCI's postgresql
// backend re-describes and copies every row; libpq's PQexecPrepared is one
// round trip with text parameters). Errors come back as statuses classified
// in soci_util.cc (the one place). One thread at a time.
#ifndef SYNCD_DB_POSTGRES_PG_CONNECTION_H_
#define SYNCD_DB_POSTGRES_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "syncd/common/status.h"

namespace syncd::db {

using common::Status;

// A libpq URI (or keyword=value string) as the keyword=value string SOCI's
// postgresql backend takes (SOCI 4.0 misreads URIs). "" when libpq cannot
// parse it; *error then says why.
std::string ConninfoFromUrl(const std::string& url, std::string* error);

// Owns a PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  ~PgResult();
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const { return r_ ? PQntuples(r_) : 0; }
  std::string_view Text(int row, int col) const;
  int64_t Int(int row, int col) const;
  int64_t affected() const;  // rows an INSERT/UPDATE/DELETE changed
  PGresult* get() const { return r_; }

 private:
  PGresult* r_ = nullptr;
};

// Text parameters of one statement (all NOT NULL), kept alive for the call.
class PgParams {
 public:
  PgParams& Text(std::string_view v);
  PgParams& Int(int64_t v);
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* pointers();

 private:
  std::vector<std::string> values_;
  std::vector<const char*> pointers_;
};

class PgConnection {
 public:
  PgConnection() = default;
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Connects; `what` names the database in errors (the URL without password).
  Status Open(const std::string& url, int connect_timeout_s, const std::string& what);
  // Registers `sql` under `name`; prepared again after Reconnect().
  Status Prepare(const char* name, const char* sql);
  // After the connection broke (server restart, network): a new one, with
  // every statement prepared again. Transient when the server is still away;
  // after a failed attempt the next ones within a backoff (100 ms doubling
  // to 5 s) fail at once, so callers never hammer a server that is down nor
  // wait a connect timeout each time.
  Status Reconnect();
  bool broken() const;
  PGconn* raw() { return conn_; }  // for LISTEN: socket, PQconsumeInput, PQnotifies

  Status Run(const char* name, PgParams& params, const char* what, PgResult* out = nullptr);
  // A statement without parameters, not prepared (BEGIN, DDL, ...).
  Status Exec(const char* sql, const char* what, PgResult* out = nullptr);
  // A statement with parameters, not prepared (schema setup, maintenance).
  Status ExecParams(const char* sql, PgParams& params, const char* what, PgResult* out = nullptr);

  // libpq pipeline mode (the write store, after its statements are
  // prepared): Defer sends a prepared statement without waiting for its
  // answer; the next Run, Exec, ExecParams or Flush sends a sync point and
  // reads every answer in order, returning the first error. `done` (may be
  // empty) gets a deferred statement's result when it succeeded. Without
  // pipeline mode Defer is Run. Kept across Reconnect().
  Status EnterPipelineMode();
  Status Defer(const char* name, PgParams& params, const char* what,
               std::function<void(const PgResult&)> done = nullptr);
  // The same for a statement without parameters, not prepared (BEGIN, COMMIT).
  Status DeferExec(const char* sql, const char* what);
  Status Flush();

 private:
  struct Pending {
    std::string what;
    PgResult* out = nullptr;
    std::function<void(const PgResult&)> done;
  };
  Status Check(PGresult* r, const char* what, PgResult* out);
  Status PrepareOnServer(const std::string& name, const std::string& sql);
  // Pipeline mode: sends, then (Sync) reads every pending answer.
  Status Sent(int sent, const char* what, PgResult* out, std::function<void(const PgResult&)> done);
  Status Sync();
  Status Error(const char* what);

  bool pipeline_ = false;
  std::vector<Pending> pending_;

  PGconn* conn_ = nullptr;
  std::string url_, what_;
  int connect_timeout_s_ = 5;
  int64_t reconnect_backoff_ms_ = 0;                           // 0 after a success
  int64_t next_reconnect_us_ = 0;                              // steady clock
  std::vector<std::pair<std::string, std::string>> prepared_;  // name, sql
};

}  // namespace syncd::db

#endif  // SYNCD_DB_POSTGRES_PG_CONNECTION_H_
