// GET /api/v1/events (console.md, live updates): the open Server-Sent Events
// streams and the one thread that writes to them. Every kIntervalMs it sends
// each stream an `overview` event (the JSON of GET /api/v1/overview, one
// line) and drops the streams whose peer is gone. Private to api/; with
// http_server.cc and http_connection.cc, the only code that knows Pistache.
//
// Threads: Add, Count and CloseAll from any thread (Pistache's, the owner's);
// the writes happen on this class's thread, or in CloseAll on the caller's.
// Not through Http::ResponseStream: in Pistache 0.0.5 its flush() drains the
// transport's write queue on the calling thread (Transport::flush), which is
// only safe on that transport's own thread. After the headers and the first
// event (written by the route on the Pistache thread), each event is one
// chunk handed to Tcp::Peer::send, which only pushes onto the transport's
// multi-producer write queue and wakes its reactor, the one thread that
// touches the socket: the same path the deferred answers of http_server.cc
// take from the waiters' thread.
#ifndef SYNCD_API_EVENT_STREAMS_H_
#define SYNCD_API_EVENT_STREAMS_H_

#include <pistache/peer.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace syncd::api {

class EventStreams {
 public:
  static constexpr int64_t kIntervalMs = 2000;
  // The client's reconnection delay (the `retry:` field of the first event).
  static constexpr int64_t kRetryMs = 2000;
  // How long CloseAll waits for the last chunks to be written.
  static constexpr std::chrono::milliseconds kCloseWait{1000};

  // `overview` gives the data of each event (called on the thread, once per
  // round, for all streams); `open` is set to the number of open streams.
  EventStreams(std::function<std::string()> overview, std::atomic<int>* open);
  ~EventStreams();  // CloseAll()
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  // Takes the connection of a stream whose headers and first event are
  // written (held weakly: Pistache owns it); starts the thread on first use.
  // After CloseAll, ends the stream at once instead.
  void Add(const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  int Count() const;
  // Ends every stream (the last chunk, then the connection is shut), stops
  // the thread and refuses further streams; waits up to kCloseWait for those
  // writes. Idempotent.
  void CloseAll();

  // One event: "event: overview\ndata: <json>\n\n".
  static std::string Event(const std::string& json);
  // `text` as one chunk of a chunked answer ("" gives the last chunk).
  static std::string Chunk(const std::string& text);

 private:
  void Run();
  // Writes `text` to every stream, dropping those that fail. Holds mu_.
  void WriteAllLocked(const std::string& text);

  std::function<std::string()> overview_;
  std::atomic<int>* open_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::weak_ptr<Pistache::Tcp::Peer>> streams_;
  bool closed_ = false;
  std::thread thread_;
};

}  // namespace syncd::api

#endif  // SYNCD_API_EVENT_STREAMS_H_
