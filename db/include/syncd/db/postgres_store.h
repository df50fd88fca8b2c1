// PostgreSQL implementations of the stores (scale.md, docs/scaling.md):
// several syncd instances on one database. The write side speaks libpq
// directly (prepared statements in pipeline mode), the read side and the
// listener libpq too; the console goes through SOCI's postgresql backend.
// Every connection comes from the same libpq URI.
#ifndef SYNCD_DB_POSTGRES_STORE_H_
#define SYNCD_DB_POSTGRES_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "syncd/db/account_store.h"
#include "syncd/db/console_store.h"
#include "syncd/db/store.h"

namespace syncd::db {

struct PostgresOptions {
  // Any libpq connection URI (postgresql://user:pw@host:port/db?...,
  // several hosts, target_session_attrs=...). Never logged as given: see
  // RedactedUrl().
  std::string url;
  // Names this process in leases (sync_queue.owner) and in the instances
  // table. A restarted process that keeps its id takes its rows back at once.
  std::string instance_id;
  // How often the instance's heartbeat row is renewed.
  int64_t heartbeat_ms = 1000;
  // An instance whose heartbeat is older than this is dead: its unfinished
  // rows are claimed again by the others.
  int64_t instance_timeout_ms = 10000;
  int connect_timeout_s = 5;
  // Open WebSocket connections of this instance, written with each
  // heartbeat (the statistics' instances list). Any thread; may be empty.
  std::function<int64_t()> connections;
};

// Whether `db` names a PostgreSQL database rather than a SQLite file.
bool IsPostgresUrl(std::string_view db);
// The URI with any password replaced by "***" (for logs and errors).
std::string RedactedUrl(std::string_view url);

// Creates or upgrades the schema (one transaction under an advisory lock, so
// instances that start together do not race) and opens the write side. A
// schema newer than this binary is refused (permanent status).
std::unique_ptr<WriteStore> OpenPostgresWriteStore(const PostgresOptions& options, Status* status);
std::unique_ptr<ReadStore> OpenPostgresReadStore(const PostgresOptions& options, Status* status);
std::unique_ptr<ConsoleStore> OpenPostgresConsoleStore(const PostgresOptions& options,
                                                       Status* status);
// The accounts tables of the same schema (accounts.md). Its writes of users
// and tenants (and a tenant purge) announce themselves on the
// syncd_accounts channel: see StartPostgresAccountsListener.
std::unique_ptr<AccountStore> OpenPostgresAccountStore(const PostgresOptions& options,
                                                       Status* status);

// scale.md 4: the entries other instances finish, as they announce them
// (NOTIFY at commit), read back from the queue with their entities. Owns a
// connection and a thread; the callback runs on that thread. When its
// connection was down, the listener catches up from the table (rows the
// others finished meanwhile) once it is back, and never hands an entry over
// twice. Destroying it stops the thread.
class FinishedListener {
 public:
  virtual ~FinishedListener() = default;
};
using FinishedCallback = std::function<void(std::vector<FinishedEntry>)>;
std::unique_ptr<FinishedListener> StartPostgresListener(const PostgresOptions& options,
                                                        FinishedCallback callback, Status* status);

// Calls `changed` (on the listener's own thread) after any instance changed
// users or tenants (NOTIFY syncd_accounts at its commit), and also after each
// (re)connection of the listener, the first included, since what was
// announced before it listened is lost: the caller re-reads what it keeps. Destroying it stops the
// thread.
std::unique_ptr<FinishedListener> StartPostgresAccountsListener(const PostgresOptions& options,
                                                                std::function<void()> changed,
                                                                Status* status);

}  // namespace syncd::db

#endif  // SYNCD_DB_POSTGRES_STORE_H_
