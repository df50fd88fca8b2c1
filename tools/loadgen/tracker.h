// Per-entry bookkeeping of a run: when each entry was sent, how many replies
// it got, and the latency of the first one.
#ifndef SYNCD_TOOLS_LOADGEN_TRACKER_H_
#define SYNCD_TOOLS_LOADGEN_TRACKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace syncd::loadgen {

// The numbers a run is judged by.
struct Summary {
  uint64_t entries = 0;            // planned
  uint64_t sent = 0;               // handed to the socket
  uint64_t answered = 0;           // got at least one reply
  uint64_t acks = 0;               // first replies that were sync_ack
  uint64_t nacks = 0;              // first replies that were sync_nack
  uint64_t missing = 0;            // planned entries with no reply (unsent ones included)
  uint64_t duplicates = 0;         // replies beyond the first, over all entries
  uint64_t flagged_duplicate = 0;  // first replies carrying "duplicate":true
  std::map<std::string, uint64_t> nack_reasons;
  std::map<std::string, uint64_t> outcomes;
  double seconds = 0;        // first send to last first-reply
  double entries_per_s = 0;  // answered / seconds
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  bool ok() const { return missing == 0 && duplicates == 0; }
};

// Owned by the runner; one thread (the io thread) calls everything.
class ReplyTracker {
 public:
  explicit ReplyTracker(uint64_t entries);
  ReplyTracker(const ReplyTracker&) = delete;
  ReplyTracker& operator=(const ReplyTracker&) = delete;

  void MarkSent(uint64_t index, int64_t now_ns);
  // Records a reply. Returns true when it is the entry's first reply.
  // `detail` is the outcome of an ACK or the reason of a NACK.
  bool OnReply(uint64_t index, bool ack, std::string_view detail, bool flagged_duplicate,
               int64_t now_ns);

  uint64_t entries() const { return static_cast<uint64_t>(sent_ns_.size()); }
  uint64_t sent() const { return sent_; }
  uint64_t answered() const { return answered_; }

  Summary Summarize() const;

 private:
  std::vector<int64_t> sent_ns_;      // 0: not sent
  std::vector<uint32_t> latency_us_;  // of the first reply
  std::vector<uint8_t> replies_;      // saturating count
  uint64_t sent_ = 0;
  uint64_t answered_ = 0;
  uint64_t acks_ = 0;
  uint64_t nacks_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t flagged_duplicate_ = 0;
  int64_t first_send_ns_ = 0;
  int64_t last_first_reply_ns_ = 0;
  std::map<std::string, uint64_t, std::less<>> nack_reasons_;
  std::map<std::string, uint64_t, std::less<>> outcomes_;
};

}  // namespace syncd::loadgen

#endif  // SYNCD_TOOLS_LOADGEN_TRACKER_H_
