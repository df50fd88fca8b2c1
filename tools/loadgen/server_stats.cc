#include "server_stats.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "http_get.h"

namespace syncd::loadgen {
namespace {

constexpr int kTimeoutMs = 5000;

double NumberOr(const rapidjson::Value& object, const char* key, double fallback) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsNumber()) return fallback;
  return it->value.GetDouble();
}

}  // namespace

BatchesSnapshot FetchBatches(const std::string& stats_url) {
  BatchesSnapshot snap;
  HttpResponse r = HttpGet(stats_url, "/api/v1/queue/stats", kTimeoutMs);
  if (r.status != 200) {
    snap.error = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
    return snap;
  }
  rapidjson::Document doc;
  doc.Parse(r.body.c_str(), r.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    snap.error = "stats body is not a JSON object";
    return snap;
  }
  auto it = doc.FindMember("batches");
  if (it == doc.MemberEnd() || !it->value.IsObject()) {
    snap.error = "stats body has no \"batches\" object";
    return snap;
  }
  const rapidjson::Value& b = it->value;
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  b.Accept(writer);
  snap.batches_json = out.GetString();
  snap.count = NumberOr(b, "count", 0);
  snap.avg_size = NumberOr(b, "avg_size", 0);
  snap.max_size = NumberOr(b, "max_size", 0);
  snap.avg_commit_ms = NumberOr(b, "avg_commit_ms", 0);
  snap.ok = true;
  return snap;
}

BatchesDelta Delta(const BatchesSnapshot& before, const BatchesSnapshot& after) {
  BatchesDelta d;
  d.count = after.count - before.count;
  if (d.count > 0) {
    d.avg_size = (after.count * after.avg_size - before.count * before.avg_size) / d.count;
  }
  return d;
}

}  // namespace syncd::loadgen
