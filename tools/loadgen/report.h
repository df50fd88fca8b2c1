// Prints the result of a run as text, one JSON object, or one table row.
#ifndef SYNCD_TOOLS_LOADGEN_REPORT_H_
#define SYNCD_TOOLS_LOADGEN_REPORT_H_

#include <cstdio>
#include <string>

#include "options.h"
#include "server_stats.h"
#include "tracker.h"
#include "ws_runner.h"

namespace syncd::loadgen {

struct Report {
  const Options* options = nullptr;
  std::string run_prefix;
  Summary summary;
  RunStats stats;
  bool stats_requested = false;
  BatchesSnapshot before;
  BatchesSnapshot after;
};

// The run passed: every entry answered exactly once.
bool Passed(const Report& report);

// Prints in report.options->format.
void PrintReport(const Report& report, std::FILE* out);

// Prints the JSON form whatever the format.
void PrintJsonReport(const Report& report, std::FILE* out);

}  // namespace syncd::loadgen

#endif  // SYNCD_TOOLS_LOADGEN_REPORT_H_
