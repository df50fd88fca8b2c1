#include "postgres/pg_connection.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "soci_util.h"
#include "syncd/common/clock.h"

namespace syncd::db {

std::string ConninfoFromUrl(const std::string& url, std::string* error) {
  char* message = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &message);
  if (options == nullptr) {
    *error = message ? message : "cannot parse the connection URI";
    if (message) PQfreemem(message);
    return "";
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    std::string value;
    for (const char* c = o->val; *c; ++c) {
      if (*c == '\\' || *c == '\'') value += '\\';
      value += *c;
    }
    if (!out.empty()) out += ' ';
    out += std::string(o->keyword) + "='" + value + "'";
  }
  PQconninfoFree(options);
  return out;
}

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_ != nullptr) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() {
  if (r_ != nullptr) PQclear(r_);
}

std::string_view PgResult::Text(int row, int col) const {
  return std::string_view(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

int64_t PgResult::Int(int row, int col) const {
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

int64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

PgParams& PgParams::Text(std::string_view v) {
  values_.emplace_back(v);
  return *this;
}

PgParams& PgParams::Int(int64_t v) {
  values_.push_back(std::to_string(v));
  return *this;
}

const char* const* PgParams::pointers() {
  pointers_.clear();
  for (const std::string& v : values_) pointers_.push_back(v.c_str());
  return pointers_.data();
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConnection::Open(const std::string& url, int connect_timeout_s, const std::string& what) {
  url_ = url;
  what_ = what;
  connect_timeout_s_ = connect_timeout_s;
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  std::string timeout = std::to_string(connect_timeout_s);
  const char* values[] = {url.c_str(), timeout.c_str(), "syncd", nullptr};
  // expand_dbname: `dbname` holds the whole URI; the others fill what it leaves out.
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = "cannot connect to " + what_;
    if (conn_ != nullptr) message += ": " + std::string(PQerrorMessage(conn_));
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    // One line (service.md: a start-up error is one line on stderr).
    for (char& c : message) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    return StatusFromSqlState("08006", message);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return Status::Ok();
}

bool PgConnection::broken() const { return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }

Status PgConnection::PrepareOnServer(const std::string& name, const std::string& sql) {
  return Check(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), name.c_str(), nullptr);
}

Status PgConnection::Prepare(const char* name, const char* sql) {
  prepared_.emplace_back(name, sql);
  return PrepareOnServer(name, sql);
}

Status PgConnection::EnterPipelineMode() {
  if (PQenterPipelineMode(conn_) != 1) return Error("enter pipeline mode");
  pipeline_ = true;
  return Status::Ok();
}

Status PgConnection::Error(const char* what) {
  std::string message = std::string(what) + ": " + PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return StatusFromSqlState(broken() ? "08006" : "XX000", message);
}

Status PgConnection::Sent(int sent, const char* what, PgResult* out,
                          std::function<void(const PgResult&)> done) {
  if (sent != 1) {
    Status s = Error(what);
    pending_.clear();
    return s;
  }
  pending_.push_back(Pending{what, out, std::move(done)});
  return Status::Ok();
}

Status PgConnection::Sync() {
  if (pending_.empty()) return Status::Ok();
  std::vector<Pending> pending;
  pending.swap(pending_);
  if (PQpipelineSync(conn_) != 1) return Error("pipeline sync");
  Status first;
  for (Pending& p : pending) {
    // Each statement's results end with a NULL.
    bool seen = false;
    while (PGresult* r = PQgetResult(conn_)) {
      if (seen) {
        PQclear(r);
        continue;
      }
      seen = true;
      if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED) {
        PQclear(r);
        continue;  // after an earlier error: that one is reported
      }
      PgResult result;
      Status s = Check(r, p.what.c_str(), &result);
      if (s.ok()) {
        if (p.done) p.done(result);
        if (p.out != nullptr) *p.out = std::move(result);
      } else if (first.ok()) {
        first = s;
      }
    }
    if (!seen && first.ok() && broken()) first = Error(p.what.c_str());
  }
  // The sync point's own result.
  while (PGresult* r = PQgetResult(conn_)) {
    bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (sync) break;
  }
  if (first.ok() && broken()) first = Error("pipeline");
  return first;
}

Status PgConnection::Defer(const char* name, PgParams& params, const char* what,
                           std::function<void(const PgResult&)> done) {
  if (!pipeline_) {
    PgResult r;
    Status s = Run(name, params, what, &r);
    if (s.ok() && done) done(r);
    return s;
  }
  Status s =
      Sent(PQsendQueryPrepared(conn_, name, params.size(), params.pointers(), nullptr, nullptr, 0),
           what, nullptr, std::move(done));
  // Bounded: the server's answers must not fill the socket while libpq
  // still sends (blocking mode).
  if (s.ok() && pending_.size() >= 256) s = Sync();
  return s;
}

Status PgConnection::DeferExec(const char* sql, const char* what) {
  if (!pipeline_) return Exec(sql, what);
  return Sent(PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0), what,
              nullptr, nullptr);
}

Status PgConnection::Flush() { return pipeline_ ? Sync() : Status::Ok(); }

Status PgConnection::Reconnect() {
  int64_t now_us = common::MonotonicMicros();
  if (now_us < next_reconnect_us_) {
    return StatusFromSqlState("08006", "database " + what_ + " unavailable (reconnecting)");
  }
  if (conn_ != nullptr) PQreset(conn_);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    reconnect_backoff_ms_ =
        std::min<int64_t>(5000, std::max<int64_t>(100, reconnect_backoff_ms_ * 2));
    next_reconnect_us_ = common::MonotonicMicros() + reconnect_backoff_ms_ * 1000;
    return StatusFromSqlState("08006", "cannot reconnect to " + what_);
  }
  reconnect_backoff_ms_ = 0;
  next_reconnect_us_ = 0;
  pending_.clear();
  bool pipeline = pipeline_;
  pipeline_ = false;  // PQreset left it; statements are prepared outside it
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  for (const auto& [name, sql] : prepared_) {
    Status s = PrepareOnServer(name, sql);
    if (!s.ok()) return s;
  }
  return pipeline ? EnterPipelineMode() : Status::Ok();
}

Status PgConnection::Check(PGresult* r, const char* what, PgResult* out) {
  PgResult result(r);
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    if (out != nullptr) *out = std::move(result);
    return Status::Ok();
  }
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = std::string(what) + ": ";
  message += r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // No SQLSTATE and a broken connection: the server went away.
  if (state == nullptr && broken()) state = "08006";
  return StatusFromSqlState(state ? state : "", message);
}

Status PgConnection::Run(const char* name, PgParams& params, const char* what, PgResult* out) {
  if (pipeline_) {
    Status s = Sent(
        PQsendQueryPrepared(conn_, name, params.size(), params.pointers(), nullptr, nullptr, 0),
        what, out, nullptr);
    return s.ok() ? Sync() : s;
  }
  return Check(PQexecPrepared(conn_, name, params.size(), params.pointers(), nullptr, nullptr, 0),
               what, out);
}

Status PgConnection::Exec(const char* sql, const char* what, PgResult* out) {
  if (pipeline_) {
    Status s = Sent(PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0), what,
                    out, nullptr);
    return s.ok() ? Sync() : s;
  }
  return Check(PQexec(conn_, sql), what, out);
}

Status PgConnection::ExecParams(const char* sql, PgParams& params, const char* what,
                                PgResult* out) {
  if (pipeline_) {
    Status s = Sent(PQsendQueryParams(conn_, sql, params.size(), nullptr, params.pointers(),
                                      nullptr, nullptr, 0),
                    what, out, nullptr);
    return s.ok() ? Sync() : s;
  }
  return Check(
      PQexecParams(conn_, sql, params.size(), nullptr, params.pointers(), nullptr, nullptr, 0),
      what, out);
}

}  // namespace syncd::db
