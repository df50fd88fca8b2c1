// Command-line options of syncd_loadgen, parsed and validated once in main().
#ifndef SYNCD_TOOLS_LOADGEN_OPTIONS_H_
#define SYNCD_TOOLS_LOADGEN_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace syncd::loadgen {

// How entries are pushed.
enum class Mode {
  kPipelined,  // every connection sends all its entries without waiting
  kChunked,    // like the web frontend: send a chunk, wait for all its replies, repeat
  kRate,       // open loop: a fixed total rate, whatever the replies do
};

enum class Format { kText, kJson, kRow };

// One entity type of the mix and its relative weight.
struct MixItem {
  std::string type;
  int weight = 0;
};

// All knobs with their defaults. Plain data: no behaviour.
struct Options {
  std::string url = "ws://127.0.0.1:8001";  // base; "/ws/{tenant}" is appended
  std::string stats_url;                    // e.g. http://127.0.0.1:8000; empty: no stats
  std::string tenant_prefix = "loadgen";    // tenants are "{prefix}-{i}"
  int tenants = 1;
  int connections = 1;  // connection c talks for tenant c % tenants
  uint64_t entries = 10000;
  Mode mode = Mode::kPipelined;
  int chunk = 30;        // entries per chunk (chunked mode)
  double rate = 1000;    // entries/s over all connections (rate mode)
  double duration = 10;  // seconds (rate mode); entries = rate * duration
  int batch = 0;         // >0: process_sync_batch frames of this many entries
  int window = 0;        // pipelined: most unanswered entries per connection, 0 = no limit
  int payload_bytes = 400;
  std::vector<MixItem> mix;  // never empty after parsing
  double timeout = 30;       // seconds to wait for replies after the last send
  double connect_timeout = 10;
  int grace_ms = 200;  // after the last expected reply, wait this long for duplicates
  Format format = Format::kText;
  std::string label;     // scenario name in the report
  std::string json_out;  // also write the JSON report to this file
};

// The default mix: mostly transactions, like a real ledger.
std::vector<MixItem> DefaultMix();

// Parses argv. On error or --help returns false with a message in *error
// (empty for --help, after printing the usage).
bool ParseOptions(int argc, char** argv, Options* options, std::string* error);

const char* ModeName(Mode mode);

}  // namespace syncd::loadgen

#endif  // SYNCD_TOOLS_LOADGEN_OPTIONS_H_
