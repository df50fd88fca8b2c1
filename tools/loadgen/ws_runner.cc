#include "ws_runner.h"

#include <rapidjson/reader.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string_view>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

namespace syncd::loadgen {
namespace {

// Frame masking keys from a xorshift generator. The stock config draws every
// key from std::random_device, which costs ~20 us a frame here and capped the
// tool at ~40k frames/s. Masking against our own server needs no secrecy.
class FastMaskRng {
 public:
  FastMaskRng() : state_(std::random_device{}() | 1u) {}
  uint32_t operator()() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<uint32_t>(state_);
  }

 private:
  uint64_t state_;
};

// asio_client (no TLS, no permessage-deflate) with the cheap masking RNG.
struct LoadgenClientConfig : websocketpp::config::asio_client {
  using type = LoadgenClientConfig;
  using rng_type = FastMaskRng;
};

using Client = websocketpp::client<LoadgenClientConfig>;
using ConnectionPtr = Client::connection_ptr;
using MessagePtr = Client::message_ptr;
using TimerPtr = Client::timer_ptr;

constexpr uint64_t kSliceEntries = 256;         // entries per turn before reads get a go
constexpr size_t kMaxBufferedBytes = 4u << 20;  // per connection, before sending pauses
constexpr long kRateTickMs = 1;
constexpr long kWatchdogMs = 100;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// SAX handler keeping the top-level fields the runner needs; nested objects
// (data_update's entity, for one) are skipped without building a DOM.
struct TopLevelFields : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopLevelFields> {
  enum class Field { kNone, kType, kId, kStatus, kOutcome, kReason, kCode, kDuplicate };
  int depth = 0;
  Field field = Field::kNone;
  std::string_view type, id, status, outcome, reason, code;
  bool duplicate = false;

  bool Default() {
    field = Field::kNone;
    return true;
  }
  bool StartObject() {
    ++depth;
    field = Field::kNone;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    ++depth;
    field = Field::kNone;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    field = Field::kNone;
    if (depth != 1) return true;
    std::string_view k(s, n);
    if (k == "type") {
      field = Field::kType;
    } else if (k == "id") {
      field = Field::kId;
    } else if (k == "status") {
      field = Field::kStatus;
    } else if (k == "outcome") {
      field = Field::kOutcome;
    } else if (k == "reason") {
      field = Field::kReason;
    } else if (k == "code") {
      field = Field::kCode;
    } else if (k == "duplicate") {
      field = Field::kDuplicate;
    }
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    std::string_view v(s, n);
    switch (field) {
      case Field::kType:
        type = v;
        break;
      case Field::kId:
        id = v;
        break;
      case Field::kStatus:
        status = v;
        break;
      case Field::kOutcome:
        outcome = v;
        break;
      case Field::kReason:
        reason = v;
        break;
      case Field::kCode:
        code = v;
        break;
      default:
        break;
    }
    field = Field::kNone;
    return true;
  }
  bool Bool(bool b) {
    if (field == Field::kDuplicate) duplicate = b;
    field = Field::kNone;
    return true;
  }
};

// One run. Everything runs on the thread that calls Run().
class Runner {
 public:
  Runner(const Options& options, const EntryFactory& factory, ReplyTracker* tracker,
         RunStats* stats)
      : o_(options), factory_(factory), tracker_(tracker), stats_(stats) {}
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void Run();

 private:
  struct Conn {
    ConnectionPtr con;
    std::string tenant;
    bool online = false;
    bool closed = false;
    bool window_blocked = false;  // pipelined pump stopped at --window; a reply restarts it
    uint64_t next_k = 0;          // this connection sends entries index = c + k * C, k < total_k
    uint64_t total_k = 0;
    uint64_t outstanding = 0;  // sent, not yet answered
  };

  uint64_t IndexOf(size_t c, uint64_t k) const { return c + k * conns_.size(); }
  void Connect(size_t c);
  void OnMessage(size_t c, const MessagePtr& msg);
  void OnClosed(size_t c, const std::string& why);
  void Start();
  void SendEntries(size_t c, uint64_t count);
  void Pump(size_t c);
  void SendChunk(size_t c);
  void RateTick();
  void CheckAllSent();
  void Watchdog();
  void CheckDone();
  void Finish();

  const Options& o_;
  const EntryFactory& factory_;
  ReplyTracker* tracker_;
  RunStats* stats_;
  Client client_;
  std::vector<Conn> conns_;
  std::string frame_;
  int64_t connect_start_ns_ = 0;
  int64_t start_ns_ = 0;
  bool started_ = false;
  bool all_sent_ = false;
  bool finishing_ = false;
  int open_ = 0;
  uint64_t last_progress_ = 0;
  int64_t last_progress_ns_ = 0;
  TimerPtr connect_timer_, watchdog_timer_, grace_timer_, stop_timer_;
};

void Runner::Run() {
  client_.clear_access_channels(websocketpp::log::alevel::all);
  client_.clear_error_channels(websocketpp::log::elevel::all);
  client_.init_asio();
  // Without TCP_NODELAY small frames wait for delayed ACKs (~40 ms), which
  // would show up as latency in chunked mode. Set once the socket is connected.
  client_.set_tcp_post_init_handler([this](websocketpp::connection_hdl hdl) {
    asio::error_code ignored;
    client_.get_con_from_hdl(hdl)->get_raw_socket().set_option(asio::ip::tcp::no_delay(true),
                                                               ignored);
  });
  const size_t n = static_cast<size_t>(o_.connections);
  conns_.resize(n);
  const uint64_t entries = tracker_->entries();
  for (size_t c = 0; c < n; ++c) {
    conns_[c].tenant = o_.tenant_prefix + "-" + std::to_string(c % o_.tenants);
    conns_[c].total_k = entries > c ? (entries - c + n - 1) / n : 0;
  }
  connect_start_ns_ = NowNs();
  for (size_t c = 0; c < n; ++c) Connect(c);
  connect_timer_ = client_.set_timer(
      static_cast<long>(o_.connect_timeout * 1000), [this](const websocketpp::lib::error_code& ec) {
        if (ec || started_ || finishing_) return;
        stats_->connection_errors.push_back("not every connection was online after " +
                                            std::to_string(o_.connect_timeout) + " s");
        Finish();
      });
  client_.run();
}

void Runner::Connect(size_t c) {
  websocketpp::lib::error_code ec;
  const std::string url = o_.url + "/ws/" + conns_[c].tenant;
  ConnectionPtr con = client_.get_connection(url, ec);
  if (ec) {
    stats_->connection_errors.push_back(url + ": " + ec.message());
    conns_[c].closed = true;
    return;
  }
  conns_[c].con = con;
  con->set_open_handler([this](websocketpp::connection_hdl) { ++open_; });
  con->set_message_handler(
      [this, c](websocketpp::connection_hdl, MessagePtr msg) { OnMessage(c, msg); });
  con->set_fail_handler([this, c, url](websocketpp::connection_hdl) {
    OnClosed(c, "connect to " + url + " failed: " + conns_[c].con->get_ec().message() + " (HTTP " +
                    std::to_string(conns_[c].con->get_response_code()) + ")");
  });
  con->set_close_handler([this, c](websocketpp::connection_hdl) {
    --open_;
    const auto& con = conns_[c].con;
    OnClosed(c, "closed by server: code " + std::to_string(con->get_remote_close_code()) + " " +
                    con->get_remote_close_reason());
  });
  client_.connect(con);
}

void Runner::OnClosed(size_t c, const std::string& why) {
  Conn& conn = conns_[c];
  if (conn.closed) return;
  conn.closed = true;
  if (finishing_) {
    if (open_ <= 0) client_.stop();
    return;
  }
  stats_->connection_errors.push_back("connection " + std::to_string(c) + ": " + why);
  if (!started_) {
    Finish();  // a run with a dead connection would only measure the failure
    return;
  }
  CheckAllSent();
  bool any_open = false;
  for (const Conn& other : conns_) any_open = any_open || !other.closed;
  if (!any_open) Finish();
}

void Runner::OnMessage(size_t c, const MessagePtr& msg) {
  const int64_t now = NowNs();
  std::string& payload = msg->get_raw_payload();
  TopLevelFields f;
  rapidjson::Reader reader;
  rapidjson::InsituStringStream stream(payload.data());
  if (reader.Parse<rapidjson::kParseInsituFlag>(stream, f).IsError()) {
    ++stats_->unparsable;
    return;
  }
  const bool ack = f.type == "sync_ack";
  if (ack || f.type == "sync_nack") {
    uint64_t index = 0;
    if (!factory_.ParseId(f.id, &index) || index >= tracker_->entries()) {
      ++stats_->foreign_replies;
      return;
    }
    if (!tracker_->OnReply(index, ack, ack ? f.outcome : f.reason, f.duplicate, now)) {
      return;  // a duplicate: counted by the tracker
    }
    const size_t owner = index % conns_.size();
    Conn& conn = conns_[owner];
    if (conn.outstanding > 0) --conn.outstanding;
    if (o_.mode == Mode::kChunked && conn.outstanding == 0 && !conn.closed && !finishing_) {
      SendChunk(owner);
    } else if (conn.window_blocked && !finishing_) {
      Pump(owner);
    }
    CheckDone();
  } else if (f.type == "data_update") {
    ++stats_->data_updates;
  } else if (f.type == "status") {
    if (f.status == "online" && !conns_[c].online) {
      conns_[c].online = true;
      if (++stats_->connections_online == static_cast<int>(conns_.size())) Start();
    } else if (f.status == "shutdown") {
      stats_->shutdown_seen = true;
    }
  } else if (f.type == "error") {
    ++stats_->errors[f.code.empty() ? std::string("(none)") : std::string(f.code)];
  } else {
    ++stats_->other_messages;
  }
}

void Runner::Start() {
  if (started_ || finishing_) return;
  started_ = true;
  start_ns_ = NowNs();
  stats_->connect_ms = static_cast<double>(start_ns_ - connect_start_ns_) / 1e6;
  if (connect_timer_) connect_timer_->cancel();
  last_progress_ns_ = start_ns_;
  Watchdog();
  switch (o_.mode) {
    case Mode::kPipelined:
      for (size_t c = 0; c < conns_.size(); ++c) Pump(c);
      break;
    case Mode::kChunked:
      for (size_t c = 0; c < conns_.size(); ++c) SendChunk(c);
      break;
    case Mode::kRate:
      RateTick();
      break;
  }
  CheckAllSent();
}

void Runner::SendEntries(size_t c, uint64_t count) {
  Conn& conn = conns_[c];
  count = std::min(count, conn.total_k - conn.next_k);
  const uint64_t per_frame = o_.batch > 0 ? static_cast<uint64_t>(o_.batch) : 1;
  while (count > 0 && !conn.closed) {
    const uint64_t n = std::min(count, per_frame);
    frame_.clear();
    if (o_.batch > 0) {
      frame_.append("{\"type\":\"process_sync_batch\",\"entries\":[");
      for (uint64_t i = 0; i < n; ++i) {
        if (i > 0) frame_.push_back(',');
        factory_.AppendEntry(IndexOf(c, conn.next_k + i), conn.tenant, &frame_);
      }
      frame_.append("]}");
    } else {
      frame_.append("{\"type\":\"process_sync_entry\",\"payload\":");
      factory_.AppendEntry(IndexOf(c, conn.next_k), conn.tenant, &frame_);
      frame_.push_back('}');
    }
    const websocketpp::lib::error_code ec =
        conn.con->send(frame_, websocketpp::frame::opcode::text);
    if (ec) {
      OnClosed(c, "send failed: " + ec.message());
      return;
    }
    const int64_t now = NowNs();
    for (uint64_t i = 0; i < n; ++i) tracker_->MarkSent(IndexOf(c, conn.next_k + i), now);
    conn.next_k += n;
    conn.outstanding += n;
    count -= n;
  }
}

// Pipelined: sends a slice, then yields to the io loop so replies are read
// while the rest goes out; pauses while the socket buffer is full.
void Runner::Pump(size_t c) {
  Conn& conn = conns_[c];
  conn.window_blocked = false;
  if (finishing_ || conn.closed) return;
  const uint64_t window = o_.window > 0 ? static_cast<uint64_t>(o_.window) : UINT64_MAX;
  uint64_t budget = kSliceEntries;
  while (budget > 0 && conn.next_k < conn.total_k && !conn.closed) {
    if (conn.outstanding >= window) {
      conn.window_blocked = true;  // resumed by OnMessage
      return;
    }
    if (conn.con->get_buffered_amount() > kMaxBufferedBytes) {
      client_.set_timer(1, [this, c](const websocketpp::lib::error_code& ec) {
        if (!ec) Pump(c);
      });
      return;
    }
    const uint64_t per_frame = o_.batch > 0 ? static_cast<uint64_t>(o_.batch) : 1;
    const uint64_t n = std::min({per_frame, budget, window - conn.outstanding});
    SendEntries(c, n);
    budget -= std::min(budget, n);
  }
  if (conn.next_k < conn.total_k && !conn.closed) {
    asio::post(client_.get_io_service(), [this, c] { Pump(c); });
    return;
  }
  CheckAllSent();
}

void Runner::SendChunk(size_t c) {
  Conn& conn = conns_[c];
  if (conn.next_k >= conn.total_k) {
    CheckAllSent();
    return;
  }
  SendEntries(c, static_cast<uint64_t>(o_.chunk));
  CheckAllSent();
}

// Open loop: sends what is due by now at the configured rate, whatever the
// replies do, spread round-robin over the connections.
void Runner::RateTick() {
  if (finishing_) return;
  const double elapsed = static_cast<double>(NowNs() - start_ns_) / 1e9;
  const uint64_t entries = tracker_->entries();
  const uint64_t due = std::min<uint64_t>(entries, static_cast<uint64_t>(elapsed * o_.rate) + 1);
  const uint64_t n = conns_.size();
  for (size_t c = 0; c < n; ++c) {
    Conn& conn = conns_[c];
    if (conn.closed) continue;
    const uint64_t due_k = due > c ? (due - c + n - 1) / n : 0;
    if (due_k > conn.next_k) SendEntries(c, due_k - conn.next_k);
  }
  CheckAllSent();
  if (!all_sent_) {
    client_.set_timer(kRateTickMs, [this](const websocketpp::lib::error_code& ec) {
      if (!ec) RateTick();
    });
  }
}

void Runner::CheckAllSent() {
  if (all_sent_ || !started_) return;
  for (const Conn& conn : conns_) {
    if (!conn.closed && conn.next_k < conn.total_k) return;
  }
  all_sent_ = true;
  CheckDone();
}

// Gives up when nothing moved (no entry sent, no first reply) for --timeout
// seconds: covers replies missing at the end and a chunk that never completes.
void Runner::Watchdog() {
  if (finishing_) return;
  const uint64_t progress = tracker_->sent() + tracker_->answered();
  const int64_t now = NowNs();
  if (progress != last_progress_) {
    last_progress_ = progress;
    last_progress_ns_ = now;
  } else if (static_cast<double>(now - last_progress_ns_) / 1e9 >= o_.timeout) {
    stats_->timed_out = tracker_->answered() < tracker_->sent();
    Finish();
    return;
  }
  watchdog_timer_ = client_.set_timer(kWatchdogMs, [this](const websocketpp::lib::error_code& ec) {
    if (!ec) Watchdog();
  });
}

void Runner::CheckDone() {
  if (!all_sent_ || grace_timer_ || finishing_) return;
  if (tracker_->answered() < tracker_->sent()) return;
  grace_timer_ = client_.set_timer(o_.grace_ms, [this](const websocketpp::lib::error_code& ec) {
    if (!ec) Finish();
  });
}

void Runner::Finish() {
  if (finishing_) return;
  finishing_ = true;
  for (TimerPtr* t : {&connect_timer_, &watchdog_timer_, &grace_timer_}) {
    if (*t) (*t)->cancel();
  }
  for (Conn& conn : conns_) {
    if (!conn.con || conn.closed) continue;
    websocketpp::lib::error_code ignored;
    conn.con->close(websocketpp::close::status::normal, "load test done", ignored);
  }
  if (open_ <= 0) {
    client_.stop();
    return;
  }
  stop_timer_ =
      client_.set_timer(2000, [this](const websocketpp::lib::error_code&) { client_.stop(); });
}

}  // namespace

void RunLoad(const Options& options, const EntryFactory& factory, ReplyTracker* tracker,
             RunStats* stats) {
  Runner runner(options, factory, tracker, stats);
  runner.Run();
}

}  // namespace syncd::loadgen
