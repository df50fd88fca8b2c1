#include "options.h"

#include <strings.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace syncd::loadgen {
namespace {

constexpr const char* kUsage =
    "Usage: syncd_loadgen [options]\n"
    "  --url URL            WebSocket base URL (default ws://127.0.0.1:8001); /ws/{tenant} is "
    "appended\n"
    "  --tenants N          tenants (default 1)\n"
    "  --tenant-prefix S    tenant ids are S-0, S-1, ... (default loadgen)\n"
    "  --connections N      connections, spread over the tenants (default 1)\n"
    "  --entries N          entries in total (default 10000; rate mode: rate*duration)\n"
    "  --mode M             pipelined | chunked | rate (default pipelined)\n"
    "  --chunk N            chunked: entries per chunk (default 30, like the frontend)\n"
    "  --rate N             rate: entries/s over all connections (default 1000)\n"
    "  --duration S         rate: seconds (default 10)\n"
    "  --batch N            send process_sync_batch frames of N entries (default: one\n"
    "                       process_sync_entry frame per entry)\n"
    "  --window N           pipelined: most unanswered entries per connection (default 0 = "
    "none)\n"
    "  --mix SPEC           entity mix, e.g. Transaction=70,Account=5,Category=6 (default: a\n"
    "                       realistic mix of all nine types)\n"
    "  --payload-bytes N    approximate payload size (default 400)\n"
    "  --stats-url URL      after the run, GET URL/api/v1/queue/stats and report 'batches'\n"
    "  --timeout S          wait this long for replies after the last send (default 30)\n"
    "  --connect-timeout S  wait this long for every connection to be online (default 10)\n"
    "  --grace-ms N         after the last reply, listen this long for duplicates (default "
    "200)\n"
    "  --json               machine-readable report\n"
    "  --row LABEL          one line: label|entries|entries_s|p50|p95|p99|max|nacks|missing|"
    "dup|ok|srv_batch\n"
    "                       (srv_batch: server's average batch size during the run, or -)\n"
    "  --label LABEL        scenario name in the report\n"
    "  --json-out FILE      also write the JSON report to FILE\n"
    "Exit code: 0 when every entry got exactly one reply, 1 otherwise, 2 on bad usage.\n";

const char* const kTypes[] = {"Account",        "AccountGroup",        "Category",
                              "CategoryGroup",  "Recipient",           "Tag",
                              "AutomationRule", "PlanningTransaction", "Transaction"};

bool ParseInt(const char* text, long long min, long long max, long long* out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

bool ParseDouble(const char* text, double min, double max, double* out) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= min && v <= max)) return false;
  *out = v;
  return true;
}

bool ParseMix(const std::string& spec, std::vector<MixItem>* mix, std::string* error) {
  mix->clear();
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string::npos) comma = spec.size();
    std::string item = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = item.substr(0, eq);
    long long weight = 1;
    if (eq != std::string::npos && !ParseInt(item.c_str() + eq + 1, 0, 1000000, &weight)) {
      *error = "bad weight in --mix item '" + item + "'";
      return false;
    }
    const char* canonical = nullptr;
    for (const char* t : kTypes) {
      if (strcasecmp(t, name.c_str()) == 0) canonical = t;
    }
    if (canonical == nullptr) {
      *error = "unknown entity type in --mix: '" + name + "'";
      return false;
    }
    if (weight > 0) mix->push_back({canonical, static_cast<int>(weight)});
  }
  if (mix->empty()) {
    *error = "--mix names no type with a positive weight";
    return false;
  }
  return true;
}

}  // namespace

std::vector<MixItem> DefaultMix() {
  return {{"Transaction", 70}, {"Account", 4},        {"AccountGroup", 1},
          {"Category", 6},     {"CategoryGroup", 2},  {"Recipient", 9},
          {"Tag", 3},          {"AutomationRule", 2}, {"PlanningTransaction", 3}};
}

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kPipelined:
      return "pipelined";
    case Mode::kChunked:
      return "chunked";
    case Mode::kRate:
      return "rate";
  }
  return "?";
}

bool ParseOptions(int argc, char** argv, Options* o, std::string* error) {
  o->mix = DefaultMix();
  bool entries_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      error->clear();
      return false;
    }
    if (arg == "--json") {
      o->format = Format::kJson;
      continue;
    }
    if (i + 1 >= argc) {
      *error = "unknown flag or missing value: " + std::string(arg);
      return false;
    }
    const char* v = argv[++i];
    long long n = 0;
    double d = 0;
    bool ok = true;
    if (arg == "--url") {
      o->url = v;
      ok = o->url.rfind("ws://", 0) == 0;
    } else if (arg == "--stats-url") {
      o->stats_url = v;
      ok = o->stats_url.rfind("http://", 0) == 0;
    } else if (arg == "--tenant-prefix") {
      o->tenant_prefix = v;
      ok = !o->tenant_prefix.empty();
    } else if (arg == "--tenants") {
      ok = ParseInt(v, 1, 100000, &n);
      o->tenants = static_cast<int>(n);
    } else if (arg == "--connections") {
      ok = ParseInt(v, 1, 10000, &n);
      o->connections = static_cast<int>(n);
    } else if (arg == "--entries") {
      ok = ParseInt(v, 0, 1000000000, &n);
      o->entries = static_cast<uint64_t>(n);
      entries_given = true;
    } else if (arg == "--mode") {
      std::string_view m = v;
      if (m == "pipelined") {
        o->mode = Mode::kPipelined;
      } else if (m == "chunked") {
        o->mode = Mode::kChunked;
      } else if (m == "rate") {
        o->mode = Mode::kRate;
      } else {
        ok = false;
      }
    } else if (arg == "--chunk") {
      ok = ParseInt(v, 1, 1000000, &n);
      o->chunk = static_cast<int>(n);
    } else if (arg == "--rate") {
      ok = ParseDouble(v, 0.001, 1e8, &d);
      o->rate = d;
    } else if (arg == "--duration") {
      ok = ParseDouble(v, 0.001, 86400, &d);
      o->duration = d;
    } else if (arg == "--batch") {
      ok = ParseInt(v, 0, 1000, &n);
      o->batch = static_cast<int>(n);
    } else if (arg == "--window") {
      ok = ParseInt(v, 0, 100000000, &n);
      o->window = static_cast<int>(n);
    } else if (arg == "--payload-bytes") {
      ok = ParseInt(v, 0, 1 << 20, &n);
      o->payload_bytes = static_cast<int>(n);
    } else if (arg == "--mix") {
      if (!ParseMix(v, &o->mix, error)) return false;
    } else if (arg == "--timeout") {
      ok = ParseDouble(v, 0, 86400, &d);
      o->timeout = d;
    } else if (arg == "--connect-timeout") {
      ok = ParseDouble(v, 0.001, 86400, &d);
      o->connect_timeout = d;
    } else if (arg == "--grace-ms") {
      ok = ParseInt(v, 0, 600000, &n);
      o->grace_ms = static_cast<int>(n);
    } else if (arg == "--row") {
      o->format = Format::kRow;
      o->label = v;
    } else if (arg == "--label") {
      o->label = v;
    } else if (arg == "--json-out") {
      o->json_out = v;
    } else {
      *error = "unknown flag: " + std::string(arg);
      return false;
    }
    if (!ok) {
      *error = "bad value for " + std::string(arg) + ": '" + v + "'";
      return false;
    }
  }
  if (o->mode == Mode::kRate) {
    double total = o->rate * o->duration;
    if (entries_given && static_cast<double>(o->entries) < total) total = o->entries;
    o->entries = static_cast<uint64_t>(total + 0.5);
  }
  if (o->tenants > o->connections) {
    *error = "--tenants must not exceed --connections (each tenant needs a connection)";
    return false;
  }
  if (o->label.empty()) o->label = ModeName(o->mode);
  return true;
}

}  // namespace syncd::loadgen
