// syncd_pg_ceiling: the fastest syncd could possibly be on this PostgreSQL
// server. It does only the durable work syncd's PostgreSQL store does per
// entry, with syncd's own schema and statements (db/postgres/sql.h), and
// nothing else: synchronous_commit = on, and per batch of N entries
//   1. ingest: one transaction inserting N queue rows (in_flight, owned,
//      RETURNING seq) and adding the counters, commit;
//   2. apply: one transaction locking the N entities (advisory locks), reading
//      them (one statement), upserting N entity rows, finishing N queue rows,
//      inserting N sync_log rows, the checkpoint, the counters and the NOTIFY,
//      commit.
// Every statement of a transaction goes in one libpq pipeline: one round
// trip per transaction (syncd waits for more: the locks, the entities, and
// the insert of each new entry, which --wait-inserts imitates). No JSON, no checksums, no
// WebSocket. Each
// --connections runs its own tenant on its own connection (syncd writes
// through one connection per instance). scripts/bench.sh --postgres divides
// syncd's pipelined throughput by this number.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/tool_args.h"
#include "postgres/sql.h"

namespace {

namespace sql = syncd::db::postgres;

struct Options {
  long long entries = 50000;
  int batch = 256;
  int payload_bytes = 400;
  int connections = 1;
  bool wait_inserts = false;
  std::string db;
  bool json = false;
};

constexpr const char* kUsage =
    "Usage: syncd_pg_ceiling --db URL [--entries N] [--batch N] [--connections N]\n"
    "                        [--payload-bytes N] [--wait-inserts] [--json]\n"
    "  --db URL           libpq connection URI of an empty database (required): syncd's\n"
    "                     schema is created in it (db/postgres/sql.h), then filled\n"
    "  --entries N        entries to write, over all connections (default 50000)\n"
    "  --batch N          entries per transaction pair (default 256)\n"
    "  --connections N    client connections, one thread and one tenant each (default 1,\n"
    "                     as one syncd instance: it writes through one connection)\n"
    "  --payload-bytes N  payload size (default 400)\n"
    "  --wait-inserts     wait for each queue insert's answer before sending the next, as\n"
    "                     syncd's ingest does (it needs the seq): what that round trip costs\n"
    "  --json             print one JSON object\n"
    "Per batch: an ingest transaction (queue inserts, counters) and an apply transaction\n"
    "(entity locks and read, entity upserts, queue rows finished, sync_log rows,\n"
    "checkpoint, counters, NOTIFY), each one pipelined round trip, synchronous_commit=on.\n";

using syncd::tools::NowMs;

[[noreturn]] void Die(PGconn* conn, const std::string& what) {
  std::fprintf(stderr, "syncd_pg_ceiling: %s: %s", what.c_str(),
               conn != nullptr ? PQerrorMessage(conn) : "no connection\n");
  std::exit(1);
}

// A statement's text parameters (every value goes as text, as syncd sends them).
class Params {
 public:
  Params& Text(std::string_view v) {
    values_.emplace_back(v);
    return *this;
  }
  Params& Int(int64_t v) { return Text(std::to_string(v)); }
  void Clear() { values_.clear(); }
  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> Pointers() const {
    std::vector<const char*> p;
    p.reserve(values_.size());
    for (const std::string& v : values_) p.push_back(v.c_str());
    return p;
  }

 private:
  std::vector<std::string> values_;
};

class Connection {
 public:
  explicit Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) Die(conn_, "connect");
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { PQfinish(conn_); }

  void Exec(const char* text) {
    PGresult* r = PQexec(conn_, text);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) Die(conn_, text);
    PQclear(r);
  }
  void Prepare(const char* name, const char* text) {
    PGresult* r = PQprepare(conn_, name, text, 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(conn_, std::string("prepare ") + name);
    PQclear(r);
  }
  void EnterPipeline() {
    if (PQenterPipelineMode(conn_) != 1) Die(conn_, "pipeline mode");
  }
  // Sends ahead; the answers are read by Sync.
  void Send(const char* name, const Params& p) {
    std::vector<const char*> values = p.Pointers();
    if (PQsendQueryPrepared(conn_, name, p.size(), values.data(), nullptr, nullptr, 0) != 1) {
      Die(conn_, std::string("send ") + name);
    }
    names_.push_back(name);
  }
  void SendText(const char* text) {
    if (PQsendQueryParams(conn_, text, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      Die(conn_, std::string("send ") + text);
    }
    names_.push_back(text);
  }
  // Ends the pipeline segment and reads every answer in order; calls
  // `rows(index, result)` for each statement's result. One round trip.
  template <typename F>
  void Sync(F&& rows) {
    if (PQpipelineSync(conn_) != 1) Die(conn_, "pipeline sync");
    size_t index = 0;
    for (;;) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) continue;  // the end of one statement's results
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        std::fprintf(stderr, "syncd_pg_ceiling: %s: %s",
                     index < names_.size() ? names_[index] : "?", PQresultErrorMessage(r));
        std::exit(1);
      }
      rows(index, r);
      PQclear(r);
      ++index;
    }
    names_.clear();
  }
  PGconn* raw() { return conn_; }

 private:
  PGconn* conn_;
  std::vector<const char*> names_;
};

// The advisory-lock key of an entity, as db/postgres/write_store.cc
// computes it (FNV-1a over tenant, type and id).
int64_t LockKey(std::string_view tenant, std::string_view type, std::string_view id) {
  uint64_t h = 1469598103934665603ULL;
  for (std::string_view part : {tenant, type, id}) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h);
}

void CreateSchema(const std::string& url) {
  Connection c(url);
  c.Exec("BEGIN");
  c.Exec(sql::kCreateSchemaVersion);
  PGresult* r = PQexec(c.raw(), sql::kSchemaVersion);
  const bool fresh = PQresultStatus(r) == PGRES_TUPLES_OK && std::atoi(PQgetvalue(r, 0, 0)) == 0;
  PQclear(r);
  if (!fresh) {
    std::fprintf(stderr,
                 "syncd_pg_ceiling: the database has a syncd schema already: give it an "
                 "empty one\n");
    std::exit(2);
  }
  for (const char* const* s = sql::kSchemaV1; *s != nullptr; ++s) c.Exec(*s);
  c.Exec("COMMIT");
}

// One connection's share: `entries` entries of tenant `tenant`.
void Run(const Options& o, const std::string& tenant, long long entries,
         std::atomic<long long>* commits) {
  Connection c(o.db);
  c.Exec("SET synchronous_commit = on");
  const std::pair<const char*, const char*> statements[] = {
      {"insert_entry", sql::kInsertEntry},
      {"lock_entities", sql::kLockEntities},
      {"get_entities", sql::kGetEntities},
      {"put_entity", sql::kPutEntity},
      {"finish_entry", sql::kFinishEntry},
      {"insert_sync_log", sql::kInsertSyncLog},
      {"put_checkpoint", sql::kPutCheckpoint},
      {"add_counter", sql::kAddCounter},
      {"notify", sql::kNotify},
  };
  for (const auto& [name, text] : statements) c.Prepare(name, text);
  c.EnterPipeline();

  const std::string instance = "ceiling-" + tenant;
  const std::string type = "Transaction";
  const std::string checksum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::string payload(static_cast<size_t>(o.payload_bytes), 'x');
  const int slot =
      static_cast<int>(static_cast<uint64_t>(LockKey(instance, "", "")) % sql::kCounterSlots);
  Params p;
  std::vector<int64_t> seqs;
  std::vector<int64_t> keys;
  auto add_counter = [&](const std::string& t, const char* name, long long delta) {
    p.Clear();
    p.Text(t).Text(name).Int(delta).Int(slot);
    c.Send("add_counter", p);
  };

  for (long long first = 0; first < entries; first += o.batch) {
    const long long last = std::min(entries, first + o.batch);
    const long long n = last - first;
    const int64_t now = NowMs();
    auto entry_id = [&](long long i) { return tenant + "-" + std::to_string(i); };
    auto entity_id = [&](long long i) { return tenant + "-e" + std::to_string(i); };

    // 1. Ingest: the batch persisted in the queue, already claimed.
    seqs.clear();
    auto collect_seq = [&](size_t, PGresult* r) {
      if (PQnfields(r) == 1 && std::strcmp(PQfname(r, 0), "seq") == 0 && PQntuples(r) == 1) {
        seqs.push_back(std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10));
      }
    };
    c.SendText(sql::kBegin);
    for (long long i = first; i < last; ++i) {
      const std::string id = entry_id(i);
      std::memcpy(payload.data(), id.data(), std::min(id.size(), payload.size()));
      p.Clear();
      p.Text(tenant)
          .Text(id)
          .Text(type)
          .Text(entity_id(i))
          .Text("create")
          .Text(payload)
          .Int(now + i)
          .Int(now + i)
          .Text("in_flight")
          .Int(now + 30000)
          .Int(now)
          .Int(1)
          .Text(instance);
      c.Send("insert_entry", p);
      if (o.wait_inserts) c.Sync(collect_seq);  // inside the transaction: one round trip
    }
    add_counter("", "total.received", n);
    add_counter("", "state.in_flight", n);
    add_counter(tenant, "total.received", n);
    add_counter(tenant, "state.in_flight", n);
    c.SendText(sql::kCommit);
    c.Sync(collect_seq);
    if (static_cast<long long>(seqs.size()) != n) {
      std::fprintf(stderr, "syncd_pg_ceiling: %zu of %lld inserts returned a seq\n", seqs.size(),
                   n);
      std::exit(1);
    }

    // 2. Apply: lock and read the entities, write the results.
    c.SendText(sql::kBegin);
    keys.clear();
    std::string types = "{", ids = "{", tenants = "{";
    for (long long i = first; i < last; ++i) {
      keys.push_back(LockKey(tenant, type, entity_id(i)));
      const char* sep = i == first ? "" : ",";
      tenants += sep + tenant;
      types += sep + type;
      ids += sep + entity_id(i);
    }
    std::sort(keys.begin(), keys.end());
    std::string array = "{";
    for (size_t k = 0; k < keys.size(); ++k) {
      if (k > 0) array += ',';
      array += std::to_string(keys[k]);
    }
    array += '}';
    p.Clear();
    p.Text(array);
    c.Send("lock_entities", p);
    p.Clear();
    p.Text(tenants + "}").Text(types + "}").Text(ids + "}");
    c.Send("get_entities", p);
    std::string notify = instance + "\n" + tenant + "\n";
    for (long long i = first; i < last; ++i) {
      const std::string id = entry_id(i);
      const int64_t seq = seqs[static_cast<size_t>(i - first)];
      std::memcpy(payload.data(), id.data(), std::min(id.size(), payload.size()));
      p.Clear();
      p.Text(tenant)
          .Text(type)
          .Text(entity_id(i))
          .Int(now + i)
          .Int(0)
          .Text(payload)
          .Text(checksum)
          .Int(now)
          .Text(id);
      c.Send("put_entity", p);
      p.Clear();
      p.Text("done")
          .Int(1)
          .Text("applied")
          .Text("")
          .Text("")
          .Int(0)
          .Text(checksum)
          .Int(now)
          .Int(now)
          .Text("")
          .Int(seq);
      c.Send("finish_entry", p);
      p.Clear();
      p.Int(seq)
          .Text(tenant)
          .Text(id)
          .Text(type)
          .Text(entity_id(i))
          .Text("create")
          .Text("applied")
          .Int(now);
      c.Send("insert_sync_log", p);
      if (i > first) notify += ',';
      notify += std::to_string(seq);
    }
    p.Clear();
    p.Text(tenant).Int(seqs.back()).Text(entry_id(last - 1)).Int(now);
    c.Send("put_checkpoint", p);
    add_counter("", "state.in_flight", -n);
    add_counter("", "total.applied", n);
    add_counter(tenant, "state.in_flight", -n);
    add_counter(tenant, "total.applied", n);
    p.Clear();
    p.Text(notify.size() <= static_cast<size_t>(sql::kNotifyPayloadMax)
               ? notify
               : notify.substr(0, notify.rfind(',', sql::kNotifyPayloadMax)));
    c.Send("notify", p);
    c.SendText(sql::kCommit);
    c.Sync([](size_t, PGresult*) {});
    commits->fetch_add(2);
  }
}

bool ParseArgs(int argc, char** argv, Options* o) {
  using syncd::tools::Assign;
  using syncd::tools::PositiveInt;
  const bool ok = syncd::tools::WalkArgs(
      argc, argv, kUsage, {"--json", "--wait-inserts"}, [o](std::string_view arg, const char* v) {
        if (arg == "--json") return o->json = true;
        if (arg == "--wait-inserts") return o->wait_inserts = true;
        if (arg == "--entries") return Assign(PositiveInt(v, LLONG_MAX), &o->entries);
        if (arg == "--batch") return Assign(PositiveInt(v, 10000), &o->batch);
        if (arg == "--connections") return Assign(PositiveInt(v, 64), &o->connections);
        if (arg == "--payload-bytes") return Assign(PositiveInt(v, 1 << 20), &o->payload_bytes);
        if (arg == "--db" && *v != '\0') {
          o->db = v;
          return true;
        }
        return false;
      });
  return ok && !o->db.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr, "syncd_pg_ceiling: bad arguments (--db URL is required; see --help)\n");
    return 2;
  }
  CreateSchema(o.db);
  const std::string run = "c" + std::to_string(NowMs());
  std::atomic<long long> commits{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < o.connections; ++k) {
    long long share = o.entries / o.connections + (k < o.entries % o.connections ? 1 : 0);
    threads.emplace_back(Run, std::cref(o), run + "-t" + std::to_string(k), share, &commits);
  }
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = seconds > 0 ? static_cast<double>(o.entries) / seconds : 0;
  const long long n_commits = commits.load();
  if (o.json) {
    std::printf(
        "{\"entries\":%lld,\"batch\":%d,\"connections\":%d,\"payload_bytes\":%d,"
        "\"commits\":%lld,\"seconds\":%.3f,\"entries_per_s\":%.1f,\"commits_per_s\":%.1f,"
        "\"wait_inserts\":%s,\"synchronous_commit\":\"on\"}\n",
        o.entries, o.batch, o.connections, o.payload_bytes, n_commits, seconds, rate,
        seconds > 0 ? n_commits / seconds : 0, o.wait_inserts ? "true" : "false");
  } else {
    std::printf(
        "syncd_pg_ceiling: %lld entries in %.3f s = %.0f entries/s (batch %d, %d connection(s), "
        "%lld commits = %.0f commits/s, synchronous_commit=on)\n",
        o.entries, seconds, rate, o.batch, o.connections, n_commits,
        seconds > 0 ? n_commits / seconds : 0);
  }
  return 0;
}
