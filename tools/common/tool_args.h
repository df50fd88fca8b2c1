// What the benchmark tools (syncd_sqlite_ceiling, syncd_pg_ceiling) share:
// walking their command line and the wall clock they stamp rows with.
// Header-only; any thread.
#ifndef SYNCD_TOOLS_COMMON_TOOL_ARGS_H_
#define SYNCD_TOOLS_COMMON_TOOL_ARGS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace syncd::tools {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `v` as an integer in 1..max, else nullopt.
inline std::optional<long long> PositiveInt(const char* v, long long max) {
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  if (end == v || *end != '\0' || n <= 0 || n > max) return std::nullopt;
  return n;
}

// Stores a PositiveInt in *out; false (a bad value) when there is none.
template <typename T>
bool Assign(std::optional<long long> n, T* out) {
  if (!n) return false;
  *out = static_cast<T>(*n);
  return true;
}

// Walks argv[1..]: "--help" or "-h" prints `usage` and exits 0; a name in
// `switches` goes to on_arg(name, nullptr); any other name takes the next
// argument as its value, on_arg(name, value). on_arg answers false for an
// unknown name or a bad value. False at the first refusal or a missing value.
template <typename OnArg>
bool WalkArgs(int argc, char** argv, const char* usage,
              std::initializer_list<std::string_view> switches, OnArg on_arg) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    bool is_switch = false;
    for (std::string_view s : switches) is_switch = is_switch || s == arg;
    if (is_switch) {
      if (!on_arg(arg, nullptr)) return false;
      continue;
    }
    if (i + 1 >= argc) return false;
    if (!on_arg(arg, argv[++i])) return false;
  }
  return true;
}

}  // namespace syncd::tools

#endif  // SYNCD_TOOLS_COMMON_TOOL_ARGS_H_
