#include "metrics_text.h"

#include <cstdio>

#include "http_types.h"
#include "json_out.h"
#include "syncd/wire/entry_results.h"

namespace syncd::api {

namespace {

double AvgBatchSize(const pipeline::Metrics::Snapshot& m) {
  return m.batch_count > 0
             ? static_cast<double>(m.batch_entries) / static_cast<double>(m.batch_count)
             : 0.0;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

class Prometheus {
 public:
  void Header(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void Sample(const std::string& name, const std::string& value) {
    out_ += name;
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void One(const char* name, const char* type, const char* help, const std::string& value) {
    Header(name, type, help);
    Sample(name, value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// `name` with the labels of a per-instance series: instance="…" first when
// several instances share the database, then `labels` (`k="v",…`).
std::string Series(const std::string& instance, const char* name, const std::string& labels = "") {
  std::string all = instance.empty() ? labels : "instance=\"" + instance + "\"";
  if (!instance.empty() && !labels.empty()) all += "," + labels;
  return all.empty() ? std::string(name) : std::string(name) + "{" + all + "}";
}

}  // namespace

std::string QueueStatsJson(const StatsInput& in) {
  const pipeline::QueueCounts& c = in.counts;
  const pipeline::Metrics::Snapshot& m = in.metrics;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("depth");
  w.StartObject();
  WriteDepthMembers(w, c);
  w.EndObject();
  w.Key("oldest_pending_age_ms");
  w.Int64(in.oldest_pending_age_ms);
  w.Key("totals");
  w.StartObject();
  WriteTotalsMembers(w, c);
  w.EndObject();
  w.Key("rates");
  w.StartObject();
  w.Key("received_per_s");
  wire::Rounded3(w, m.received_per_s);
  w.Key("acked_per_s");
  wire::Rounded3(w, m.acked_per_s);
  w.EndObject();
  w.Key("latency_ms");
  w.StartObject();
  w.Key("ack_p50");
  wire::Rounded3(w, m.ack_p50_ms);
  w.Key("ack_p95");
  wire::Rounded3(w, m.ack_p95_ms);
  w.Key("ack_p99");
  wire::Rounded3(w, m.ack_p99_ms);
  w.EndObject();
  w.Key("batches");
  w.StartObject();
  w.Key("count");
  w.Int64(m.batch_count);
  w.Key("avg_size");
  wire::Rounded3(w, AvgBatchSize(m));
  w.Key("max_size");
  w.Int64(m.batch_max_size);
  w.Key("avg_commit_ms");
  wire::Rounded3(w, m.batch_avg_commit_ms);
  w.EndObject();
  w.Key("connections");
  w.StartObject();
  w.Key("websocket");
  w.Int64(in.ws_connections);
  w.Key("tenants");
  w.Int64(in.ws_tenants);
  w.Key("closed_slow");
  w.Int64(in.ws_slow_closes);
  w.EndObject();
  w.Key("uptime_s");
  w.Int64(in.uptime_s);
  if (!in.instance_id.empty()) {
    // scale.md 5: depth and totals above are the database's (every
    // instance's); the rest is this instance's.
    w.Key("instance");
    w.String(in.instance_id.c_str());
    w.Key("instances");
    w.StartArray();
    for (const db::InstanceRow& i : in.instances) {
      w.StartObject();
      w.Key("id");
      w.String(i.id.c_str());
      w.Key("connections");
      w.Int64(i.connections);
      w.Key("last_heartbeat_ms");
      w.Int64(i.last_heartbeat_ms);
      w.Key("in_flight");
      w.Int64(i.in_flight);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return JsonText(buf);
}

std::string MetricsText(const StatsInput& in) {
  const pipeline::QueueCounts& c = in.counts;
  const pipeline::Metrics::Snapshot& m = in.metrics;
  Prometheus p;
  p.Header("syncd_queue_depth", "gauge", "Entries in each queue state (exact, from the database).");
  p.Sample("syncd_queue_depth{state=\"pending\"}", std::to_string(c.pending));
  p.Sample("syncd_queue_depth{state=\"in_flight\"}", std::to_string(c.in_flight));
  p.Sample("syncd_queue_depth{state=\"retry_wait\"}", std::to_string(c.retry_wait));
  p.Sample("syncd_queue_depth{state=\"dead\"}", std::to_string(c.dead));
  p.One("syncd_oldest_pending_age_seconds", "gauge", "Age of the oldest unfinished entry.",
        Num(static_cast<double>(in.oldest_pending_age_ms) / 1000.0));
  p.One("syncd_received_total", "counter", "Entries received since the database was created.",
        std::to_string(c.received));
  p.Header("syncd_entries_total", "counter",
           "Finished entries by outcome since the database was created.");
  p.Sample("syncd_entries_total{outcome=\"applied\"}", std::to_string(c.applied));
  p.Sample("syncd_entries_total{outcome=\"superseded\"}", std::to_string(c.superseded));
  p.Sample("syncd_entries_total{outcome=\"manual\"}", std::to_string(c.manual));
  p.Sample("syncd_entries_total{outcome=\"duplicate\"}", std::to_string(c.duplicates));
  p.Sample("syncd_entries_total{outcome=\"nacked\"}", std::to_string(c.nacked));
  p.One("syncd_retries_total", "counter",
        "Apply attempts that failed transiently and were retried.", std::to_string(c.retries));
  p.One("syncd_dead_lettered_total", "counter", "Entries dead-lettered after the last attempt.",
        std::to_string(c.dead_lettered));
  // Per instance from here: labelled instance="…" when several share the
  // database (the series above are the database's, the same on each).
  const std::string& id = in.instance_id;
  auto one = [&](const char* name, const char* type, const char* help, const std::string& value) {
    p.Header(name, type, help);
    p.Sample(Series(id, name), value);
  };
  one("syncd_received_per_second", "gauge", "Entries received per second over the last 10 s.",
      Num(m.received_per_s));
  one("syncd_acked_per_second", "gauge", "Replies handed out per second over the last 10 s.",
      Num(m.acked_per_s));
  p.Header("syncd_ack_latency_seconds", "histogram",
           "From receipt of an entry to its reply being handed to the socket.");
  for (size_t i = 0; i < pipeline::Metrics::kLatencyBucketsS.size(); ++i) {
    char le[32];
    std::snprintf(le, sizeof(le), "%g", pipeline::Metrics::kLatencyBucketsS[i]);
    p.Sample(Series(id, "syncd_ack_latency_seconds_bucket", std::string("le=\"") + le + "\""),
             std::to_string(m.latency_bucket_counts[i]));
  }
  p.Sample(Series(id, "syncd_ack_latency_seconds_bucket", "le=\"+Inf\""),
           std::to_string(m.latency_count));
  p.Sample(Series(id, "syncd_ack_latency_seconds_sum"), Num(m.latency_sum_s));
  p.Sample(Series(id, "syncd_ack_latency_seconds_count"), std::to_string(m.latency_count));
  one("syncd_batches_total", "counter", "Apply transactions since start.",
      std::to_string(m.batch_count));
  one("syncd_batch_size_avg", "gauge", "Average entries per apply transaction since start.",
      Num(AvgBatchSize(m)));
  one("syncd_batch_size_max", "gauge", "Most entries in one apply transaction since start.",
      std::to_string(m.batch_max_size));
  one("syncd_batch_commit_seconds_avg", "gauge", "Average apply commit time since start.",
      Num(m.batch_avg_commit_ms / 1000.0));
  one("syncd_websocket_connections", "gauge", "Open WebSocket connections.",
      std::to_string(in.ws_connections));
  one("syncd_websocket_tenants", "gauge", "Distinct tenants with an open WebSocket connection.",
      std::to_string(in.ws_tenants));
  one("syncd_websocket_slow_closes_total", "counter",
      "WebSocket connections closed (1008) because they did not read, since start.",
      std::to_string(in.ws_slow_closes));
  one("syncd_initial_load_reads_total", "counter",
      "initial_data_load answers read from the database and serialised, since start.",
      std::to_string(in.ws_initial_load_reads));
  one("syncd_initial_load_shared_total", "counter",
      "request_initial_data answered with the answer read for another request of the same "
      "tenant state, since start.",
      std::to_string(in.ws_initial_load_shared));
  one("syncd_uptime_seconds", "gauge", "Seconds since the server started.",
      std::to_string(in.uptime_s));
  one("syncd_health_degraded", "gauge",
      "1 while GET /health answers degraded (database failing, or a server down), else 0.",
      in.degraded ? "1" : "0");
  if (!in.instances.empty()) {
    // Every instance on the database, as its heartbeat row says.
    p.Header("syncd_instance_in_flight", "gauge", "Queue rows each instance holds in_flight.");
    for (const db::InstanceRow& i : in.instances) {
      p.Sample(Series(i.id, "syncd_instance_in_flight"), std::to_string(i.in_flight));
    }
    p.Header("syncd_instance_connections", "gauge",
             "Open WebSocket connections of each instance, as of its last heartbeat.");
    for (const db::InstanceRow& i : in.instances) {
      p.Sample(Series(i.id, "syncd_instance_connections"), std::to_string(i.connections));
    }
    p.Header("syncd_instance_last_heartbeat_seconds", "gauge",
             "Unix time of each instance's last heartbeat (the database server's clock).");
    for (const db::InstanceRow& i : in.instances) {
      p.Sample(Series(i.id, "syncd_instance_last_heartbeat_seconds"),
               Num(static_cast<double>(i.last_heartbeat_ms) / 1000.0));
    }
  }
  return p.Take();
}

}  // namespace syncd::api
