#include "syncd/wire/health.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace syncd::wire {

std::string HealthJson(pipeline::Pipeline& pipeline, db::ReadStore& reads,
                       const std::function<bool()>& ws_up_fn, bool http_up, bool shutting_down,
                       int64_t uptime_s, const std::string& version) {
  bool db_ok = reads.Ping().ok() && pipeline.health() == pipeline::Health::kOk;
  bool ws_up = ws_up_fn && ws_up_fn();
  const char* status = "ok";
  if (shutting_down) {
    status = "shutting_down";
  } else if (!db_ok || !ws_up || !http_up) {
    status = "degraded";
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("status");
  w.String(status);
  w.Key("database");
  w.String(db_ok ? "ok" : "error");
  w.Key("websocket");
  w.String(ws_up ? "up" : "down");
  w.Key("http");
  w.String(http_up ? "up" : "down");
  w.Key("uptime_s");
  w.Int64(uptime_s < 0 ? 0 : uptime_s);
  w.Key("version");
  w.String(version);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace syncd::wire
