#include "event_streams.h"

#include <pistache/async.h>
#include <pistache/stream.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <utility>

namespace syncd::api {

namespace {

// Queues one chunk on the peer's transport; false when the peer is gone.
// Catches everything: a closing transport may throw.
bool Send(const std::weak_ptr<Pistache::Tcp::Peer>& weak, const std::string& chunk) {
  std::shared_ptr<Pistache::Tcp::Peer> peer = weak.lock();
  if (!peer) return false;
  try {
    peer->send(Pistache::RawBuffer(chunk, chunk.size()));
    return true;
  } catch (...) {
    return false;
  }
}

// The last chunks queued by CloseAll, until their writes finished.
struct Closing {
  std::mutex mu;
  std::condition_variable cv;
  int pending = 0;
  void Done() {
    std::lock_guard<std::mutex> lock(mu);
    if (--pending == 0) cv.notify_all();
  }
};

// Queues the last chunk, then shuts the connection (the client sees the end
// even if Pistache stops before closing it). The shutdown runs on the
// transport's thread once the write finished, like Refuse in
// http_connection.cc: that thread alone closes the descriptor.
void End(const std::weak_ptr<Pistache::Tcp::Peer>& weak, const std::shared_ptr<Closing>& closing) {
  std::shared_ptr<Pistache::Tcp::Peer> peer = weak.lock();
  if (!peer) return;
  {
    std::lock_guard<std::mutex> lock(closing->mu);
    ++closing->pending;
  }
  auto shut = [weak, closing] {
    if (auto p = weak.lock()) ::shutdown(p->fd(), SHUT_RDWR);
    closing->Done();
  };
  try {
    std::string last = EventStreams::Chunk("");
    peer->send(Pistache::RawBuffer(last, last.size()))
        .then([shut](ssize_t) { shut(); }, [shut](std::exception_ptr) { shut(); });
  } catch (...) {
    closing->Done();
  }
}

}  // namespace

EventStreams::EventStreams(std::function<std::string()> overview, std::atomic<int>* open)
    : overview_(std::move(overview)), open_(open) {}

EventStreams::~EventStreams() { CloseAll(); }

std::string EventStreams::Event(const std::string& json) {
  return "event: overview\ndata: " + json + "\n\n";
}

std::string EventStreams::Chunk(const std::string& text) {
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", text.size());
  return text.empty() ? std::string("0\r\n\r\n") : size + text + "\r\n";
}

void EventStreams::Add(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    End(peer, std::make_shared<Closing>());
    return;
  }
  streams_.push_back(peer);
  open_->store(static_cast<int>(streams_.size()));
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

int EventStreams::Count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(streams_.size());
}

void EventStreams::CloseAll() {
  std::thread thread;
  auto closing = std::make_shared<Closing>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (const auto& stream : streams_) End(stream, closing);
    streams_.clear();
    open_->store(0);
    thread.swap(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
  // Let the reactors write the last chunks before Pistache stops; a client
  // that does not read does not hold the shutdown up for long.
  std::unique_lock<std::mutex> lock(closing->mu);
  closing->cv.wait_for(lock, kCloseWait, [&] { return closing->pending == 0; });
}

void EventStreams::WriteAllLocked(const std::string& text) {
  std::string chunk = Chunk(text);
  std::vector<std::weak_ptr<Pistache::Tcp::Peer>> alive;
  alive.reserve(streams_.size());
  for (auto& stream : streams_) {
    if (Send(stream, chunk)) alive.push_back(std::move(stream));
  }
  streams_.swap(alive);
  open_->store(static_cast<int>(streams_.size()));
}

void EventStreams::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!closed_) {
    cv_.wait_for(lock, std::chrono::milliseconds(kIntervalMs), [this] { return closed_; });
    if (closed_ || streams_.empty()) continue;
    lock.unlock();
    std::string text;
    try {
      text = Event(overview_());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "syncd: events: overview failed: %s\n", e.what());
      text = ": overview unavailable\n\n";  // a comment: still finds gone peers
    }
    lock.lock();
    if (!closed_) WriteAllLocked(text);
  }
}

}  // namespace syncd::api
