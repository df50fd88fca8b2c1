// syncd_loadgen: pushes sync entries at a syncd WebSocket endpoint and checks
// that every entry gets exactly one sync_ack or sync_nack. See --help and
// docs/benchmarks.md.
#include <chrono>
#include <cstdio>
#include <string>

#include "entry_factory.h"
#include "options.h"
#include "report.h"
#include "server_stats.h"
#include "tracker.h"
#include "ws_runner.h"

int main(int argc, char** argv) {
  using namespace syncd::loadgen;
  Options options;
  std::string error;
  if (!ParseOptions(argc, argv, &options, &error)) {
    if (error.empty()) return 0;  // --help
    std::fprintf(stderr, "syncd_loadgen: %s (see --help)\n", error.c_str());
    return 2;
  }

  Report report;
  report.options = &options;
  report.run_prefix = NewRunPrefix();
  report.stats_requested = !options.stats_url.empty();
  if (report.stats_requested) report.before = FetchBatches(options.stats_url);

  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const EntryFactory factory(report.run_prefix, options.mix, options.payload_bytes, now_ms,
                             static_cast<uint32_t>(options.connections));
  ReplyTracker tracker(options.entries);
  RunLoad(options, factory, &tracker, &report.stats);
  report.summary = tracker.Summarize();

  if (report.stats_requested) report.after = FetchBatches(options.stats_url);
  PrintReport(report, stdout);
  if (!options.json_out.empty()) {
    std::FILE* f = std::fopen(options.json_out.c_str(), "w");
    if (f == nullptr) {
      std::perror(("syncd_loadgen: " + options.json_out).c_str());
    } else {
      PrintJsonReport(report, f);
      std::fclose(f);
    }
  }
  return Passed(report) ? 0 : 1;
}
