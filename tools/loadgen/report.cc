#include "report.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace syncd::loadgen {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteCounts(JsonWriter* w, const char* key, const std::map<std::string, uint64_t>& counts) {
  w->Key(key);
  w->StartObject();
  for (const auto& [name, n] : counts) {
    w->Key(name.c_str());
    w->Uint64(n);
  }
  w->EndObject();
}

std::string JoinCounts(const std::map<std::string, uint64_t>& counts) {
  if (counts.empty()) return "none";
  std::string s;
  for (const auto& [name, n] : counts) {
    if (!s.empty()) s += ", ";
    s += name + "=" + std::to_string(n);
  }
  return s;
}

void PrintJson(const Report& r, std::FILE* out) {
  const Options& o = *r.options;
  const Summary& s = r.summary;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("label");
  w.String(o.label.c_str());
  w.Key("ok");
  w.Bool(Passed(r));
  w.Key("mode");
  w.String(ModeName(o.mode));
  w.Key("url");
  w.String(o.url.c_str());
  w.Key("run_prefix");
  w.String(r.run_prefix.c_str());
  w.Key("tenants");
  w.Int(o.tenants);
  w.Key("connections");
  w.Int(o.connections);
  w.Key("batch");
  w.Int(o.batch);
  if (o.mode == Mode::kChunked) {
    w.Key("chunk");
    w.Int(o.chunk);
  }
  if (o.mode == Mode::kRate) {
    w.Key("rate");
    w.Double(o.rate);
  }
  w.Key("entries");
  w.Uint64(s.entries);
  w.Key("sent");
  w.Uint64(s.sent);
  w.Key("answered");
  w.Uint64(s.answered);
  w.Key("acks");
  w.Uint64(s.acks);
  w.Key("nacks");
  w.Uint64(s.nacks);
  w.Key("missing");
  w.Uint64(s.missing);
  w.Key("duplicates");
  w.Uint64(s.duplicates);
  w.Key("flagged_duplicate");
  w.Uint64(s.flagged_duplicate);
  w.Key("seconds");
  w.Double(s.seconds);
  w.Key("entries_per_s");
  w.Double(s.entries_per_s);
  w.Key("latency_ms");
  w.StartObject();
  w.Key("p50");
  w.Double(s.p50_ms);
  w.Key("p95");
  w.Double(s.p95_ms);
  w.Key("p99");
  w.Double(s.p99_ms);
  w.Key("max");
  w.Double(s.max_ms);
  w.EndObject();
  WriteCounts(&w, "outcomes", s.outcomes);
  WriteCounts(&w, "nack_reasons", s.nack_reasons);
  WriteCounts(&w, "errors", r.stats.errors);
  w.Key("data_updates");
  w.Uint64(r.stats.data_updates);
  w.Key("foreign_replies");
  w.Uint64(r.stats.foreign_replies);
  w.Key("unparsable");
  w.Uint64(r.stats.unparsable);
  w.Key("timed_out");
  w.Bool(r.stats.timed_out);
  w.Key("connect_ms");
  w.Double(r.stats.connect_ms);
  w.Key("connection_errors");
  w.StartArray();
  for (const std::string& e : r.stats.connection_errors) w.String(e.c_str());
  w.EndArray();
  if (r.stats_requested) {
    w.Key("server");
    w.StartObject();
    if (r.after.ok) {
      w.Key("batches");
      w.RawValue(r.after.batches_json.c_str(), r.after.batches_json.size(), rapidjson::kObjectType);
      if (r.before.ok) {
        const BatchesDelta d = Delta(r.before, r.after);
        w.Key("run_batches");
        w.StartObject();
        w.Key("count");
        w.Double(d.count);
        w.Key("avg_size");
        w.Double(d.avg_size);
        w.EndObject();
      }
    } else {
      w.Key("error");
      w.String(r.after.error.c_str());
    }
    w.EndObject();
  }
  w.EndObject();
  std::fprintf(out, "%s\n", buf.GetString());
}

void PrintText(const Report& r, std::FILE* out) {
  const Options& o = *r.options;
  const Summary& s = r.summary;
  std::fprintf(out, "syncd_loadgen %s: mode=%s url=%s tenants=%d connections=%d batch=%d run=%s\n",
               o.label.c_str(), ModeName(o.mode), o.url.c_str(), o.tenants, o.connections, o.batch,
               r.run_prefix.c_str());
  std::fprintf(out, "  entries     %llu planned, %llu sent, %llu answered (%llu ack, %llu nack)\n",
               static_cast<unsigned long long>(s.entries), static_cast<unsigned long long>(s.sent),
               static_cast<unsigned long long>(s.answered), static_cast<unsigned long long>(s.acks),
               static_cast<unsigned long long>(s.nacks));
  std::fprintf(out, "  throughput  %.1f entries/s over %.3f s (connect %.1f ms)\n", s.entries_per_s,
               s.seconds, r.stats.connect_ms);
  std::fprintf(out, "  latency ms  p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n", s.p50_ms, s.p95_ms,
               s.p99_ms, s.max_ms);
  std::fprintf(out, "  outcomes    %s\n", JoinCounts(s.outcomes).c_str());
  std::fprintf(out, "  nacks       %s\n", JoinCounts(s.nack_reasons).c_str());
  std::fprintf(out, "  missing %llu  duplicate replies %llu  flagged duplicate %llu\n",
               static_cast<unsigned long long>(s.missing),
               static_cast<unsigned long long>(s.duplicates),
               static_cast<unsigned long long>(s.flagged_duplicate));
  std::fprintf(
      out, "  other       data_update=%llu foreign_replies=%llu unparsable=%llu errors: %s\n",
      static_cast<unsigned long long>(r.stats.data_updates),
      static_cast<unsigned long long>(r.stats.foreign_replies),
      static_cast<unsigned long long>(r.stats.unparsable), JoinCounts(r.stats.errors).c_str());
  for (const std::string& e : r.stats.connection_errors) {
    std::fprintf(out, "  connection  %s\n", e.c_str());
  }
  if (r.stats.timed_out) std::fprintf(out, "  timed out waiting for replies\n");
  if (r.stats_requested) {
    if (r.after.ok) {
      std::fprintf(out, "  server batches %s\n", r.after.batches_json.c_str());
      if (r.before.ok) {
        const BatchesDelta d = Delta(r.before, r.after);
        std::fprintf(out, "  this run    %.0f batches, avg size %.1f\n", d.count, d.avg_size);
      }
    } else {
      std::fprintf(out, "  server stats unavailable: %s\n", r.after.error.c_str());
    }
  }
  std::fprintf(out, "  result      %s\n", Passed(r) ? "OK" : "FAIL");
}

}  // namespace

bool Passed(const Report& r) { return r.summary.ok(); }

void PrintJsonReport(const Report& r, std::FILE* out) { PrintJson(r, out); }

void PrintReport(const Report& r, std::FILE* out) {
  switch (r.options->format) {
    case Format::kJson:
      PrintJson(r, out);
      break;
    case Format::kText:
      PrintText(r, out);
      break;
    case Format::kRow: {
      const Summary& s = r.summary;
      std::string batch = "-";
      if (r.before.ok && r.after.ok) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", Delta(r.before, r.after).avg_size);
        batch = buf;
      }
      std::fprintf(
          out, "%s|%llu|%.0f|%.2f|%.2f|%.2f|%.2f|%llu|%llu|%llu|%s|%s\n", r.options->label.c_str(),
          static_cast<unsigned long long>(s.entries), s.entries_per_s, s.p50_ms, s.p95_ms, s.p99_ms,
          s.max_ms, static_cast<unsigned long long>(s.nacks),
          static_cast<unsigned long long>(s.missing), static_cast<unsigned long long>(s.duplicates),
          Passed(r) ? "OK" : "FAIL", batch.c_str());
      break;
    }
  }
}

}  // namespace syncd::loadgen
