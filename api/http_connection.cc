#include "http_connection.h"

#include <pistache/async.h>
#include <pistache/peer.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_types.h"

namespace syncd::api {

namespace {

namespace Http = Pistache::Http;
namespace Tcp = Pistache::Tcp;
namespace Rest = Pistache::Rest;

// Peer data keys (Tcp::Peer::putData).
constexpr const char* kSlotKey = "syncd.connection_slot";
constexpr const char* kClosingKey = "syncd.closing";
constexpr const char* kRequestKey = "syncd.request";

// How often a transport looks for requests past the header timeout.
constexpr auto kTick = std::chrono::milliseconds(250);

using SteadyClock = std::chrono::steady_clock;

// When the request now arriving on a connection began; unset between
// requests (Pistache's keep-alive timeout covers that time).
struct RequestClock {
  std::optional<SteadyClock::time_point> began;
  // The request's header section so far (only while it is incomplete; at
  // most kHeadScanTail bytes are carried from one read to the next).
  std::string head_tail;
  bool head_done = false;
};

constexpr size_t kHeadScanTail = 32;

// Pistache 0.0.5 parses a chunked body with strtol() on its unterminated read
// buffer (a heap over-read on a client's bytes, found by ASan in
// BodyStep::Chunk::parse). No client of ours needs it (browsers and the load
// tools send Content-Length), so a request whose header section names
// Transfer-Encoding is refused before that parser sees its body. Returns
// true when `buffer` completes or continues such a header section.
bool DeclaresTransferEncoding(RequestClock& state, const char* buffer, size_t len) {
  if (state.head_done) return false;
  std::string text = state.head_tail;
  text.append(buffer, len);
  size_t end = text.find("\r\n\r\n");
  std::string section = text.substr(0, end == std::string::npos ? text.size() : end + 2);
  for (char& c : section) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (section.find("\ntransfer-encoding:") != std::string::npos) return true;
  if (end != std::string::npos) {
    state.head_done = true;
    state.head_tail.clear();
  } else {
    state.head_tail = text.size() > kHeadScanTail ? text.substr(text.size() - kHeadScanTail) : text;
  }
  return false;
}

// A refused connection: answered, its input dropped, and after kLinger shut
// for good even if the client keeps sending (it would hold a place).
struct Closing {
  SteadyClock::time_point at;
  bool shut = false;
};
constexpr auto kLinger = std::chrono::seconds(2);

// Holds one of the --max-connections places while its peer exists: Pistache
// drops a peer it times out without calling onDisconnection, but it always
// destroys it, and with it its data.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<std::atomic<int>> open) : open_(std::move(open)) {}
  ~ConnectionSlot() { open_->fetch_sub(1); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  std::shared_ptr<std::atomic<int>> open_;
};

// One line per second at most: a client sending garbage must not fill the log.
void LogRefusal(const std::string& what) {
  static std::atomic<int64_t> last_s{0};
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  int64_t last = last_s.load();
  if (now_s == last || !last_s.compare_exchange_strong(last, now_s)) return;
  std::fprintf(stderr, "syncd: http: %s\n", what.c_str());
}

class ConnectionHandler final : public Rest::Private::RouterHandler {
 public:
  HTTP_PROTOTYPE(ConnectionHandler)

  ConnectionHandler(const Rest::Router& router, ConnectionLimits limits,
                    std::shared_ptr<std::atomic<int>> open)
      : RouterHandler(router), limits_(limits), open_(std::move(open)) {}
  // Pistache clones the handler before any connection, so a copy has no timer.
  ConnectionHandler(const ConnectionHandler& other)
      : RouterHandler(other), limits_(other.limits_), open_(other.open_) {}
  ConnectionHandler& operator=(const ConnectionHandler&) = delete;
  // A timer still armed when the server stops never fires: close it here
  // (the transport's threads have stopped by the time it destroys us).
  ~ConnectionHandler() override {
    if (tick_fd_ >= 0) ::close(tick_fd_);
  }

  // Http::Handler's own onConnection only adds the parser; it is private, so
  // this does the same, then takes a place or refuses the peer.
  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    peer->putData(ParserData, std::make_shared<Http::RequestParser>(getMaxRequestSize()));
    int open = open_->load();
    while (open < limits_.max_connections && !open_->compare_exchange_weak(open, open + 1)) {
    }
    if (open >= limits_.max_connections) {
      LogRefusal("refused a connection: " + std::to_string(limits_.max_connections) +
                 " (--max-connections) are open");
      Refuse(peer, Http::Version::Http11,
             ErrorResponse(ApiError::kTooManyConnections, "too many open connections"), SHUT_RDWR);
      return;
    }
    peer->putData(kSlotKey, std::make_shared<ConnectionSlot>(open_));
    auto clock = std::make_shared<RequestClock>();
    clock->began = SteadyClock::now();
    peer->putData(kRequestKey, clock);
    watched_.push_back(peer);
    if (!ticking_) Tick();
  }

  // Http::Handler::onInput (Pistache 0.0.5), except that every request it
  // cannot take is answered with our JSON error and the connection closed,
  // and a request is idle (Pistache's keep-alive timeout) once dispatched.
  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    if (peer->tryGetData(kClosingKey)) return;  // answered and closing: drop the rest
    std::shared_ptr<Http::RequestParser> parser = getParser(peer);
    Http::Request& request = parser->request;
    auto clock = std::static_pointer_cast<RequestClock>(peer->tryGetData(kRequestKey));
    if (clock && !clock->began) clock->began = SteadyClock::now();
    if (clock && DeclaresTransferEncoding(*clock, buffer, len)) {
      LogRefusal("refused a request with Transfer-Encoding");
      Refuse(peer, Http::Version::Http11,
             ErrorResponse(ApiError::kLengthRequired,
                           "send the body with Content-Length (Transfer-Encoding is not accepted)"),
             SHUT_WR);
      return;
    }
    try {
      if (!parser->feed(buffer, len)) {
        Refuse(peer, request.version(), TooLarge(), SHUT_WR);
        return;
      }
      if (parser->parse() == Http::Private::State::Done) {
        Http::ResponseWriter response(request.version(), transport(), this, peer);
        request.copyAddress(peer->address());
        auto connection = request.headers().tryGet<Http::Header::Connection>();
        response.headers().add<Http::Header::Connection>(
            connection ? connection->control() : Http::ConnectionControl::Close);
        peer->setIdle(false);
        if (clock) {
          clock->began.reset();
          clock->head_done = false;  // the next request's header section is scanned again
          clock->head_tail.clear();
        }
        onRequest(request, std::move(response));
        parser->reset();
        // An answer that comes later (it waits for the pipeline) must not be
        // cut by the header timeout: from now on the keep-alive timeout counts.
        peer->setIdle(true);
        return;
      }
      // Still reading the body: refuse a declared length we would not take
      // now, before it arrives (and before a client's length is believed).
      if (parser->step()->id() == Http::Private::BodyStep::Id) {
        auto length = request.headers().tryGet<Http::Header::ContentLength>();
        if (length && length->value() > limits_.max_body_bytes) {
          Refuse(peer, request.version(), TooLarge(), SHUT_WR);
        }
      }
    } catch (const Http::HttpError& e) {
      LogRefusal(std::string("refused a malformed request: ") + e.what());
      Refuse(peer, request.version(),
             e.code() == static_cast<int>(Http::Code::Request_Entity_Too_Large)
                 ? TooLarge()
                 : ErrorResponse(ApiError::kMalformedRequest, "malformed HTTP request"),
             SHUT_WR);
    } catch (const std::exception& e) {
      // Pistache's parser throws these for lengths it cannot take
      // (`Content-Length: -1` → length_error, 2^70 → out_of_range).
      LogRefusal(std::string("refused a malformed request: ") + e.what());
      Refuse(peer, request.version(),
             ErrorResponse(ApiError::kMalformedRequest, "malformed HTTP request"), SHUT_WR);
    }
  }

 private:
  ApiResponse TooLarge() const {
    return ErrorResponse(ApiError::kTooLarge,
                         "body larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
  }

  // Answers `out`, then shuts the socket down (`how`): SHUT_WR lets the
  // client read the answer while what it still sends is dropped, until it
  // closes or the keep-alive timeout does; SHUT_RDWR ends it at once.
  void Refuse(const std::shared_ptr<Tcp::Peer>& peer, Http::Version version, const ApiResponse& out,
              int how) {
    auto closing = std::make_shared<Closing>();
    closing->at = SteadyClock::now();
    peer->putData(kClosingKey, closing);
    if (auto parser = getParser(peer)) parser->reset();
    Http::ResponseWriter response(version, transport(), this, peer);
    response.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
    std::weak_ptr<Tcp::Peer> weak = peer;
    // The promise settles on this transport's thread, which alone closes the
    // peer's descriptor: the fd cannot have been reused meanwhile.
    auto shut = [weak, how] {
      if (auto p = weak.lock()) ::shutdown(p->fd(), how);
    };
    response
        .send(static_cast<Http::Code>(out.status), out.body,
              Http::Mime::MediaType::fromString(out.content_type))
        .then([shut](ssize_t) { shut(); }, [shut](std::exception_ptr) { shut(); });
  }

  // Every kTick while this transport has connections: a request that began
  // more than the header timeout ago gets the JSON 408 and its connection is
  // closed. Pistache has a header timeout too, but answers it with an empty
  // body; ours comes first (Pistache's is set later as a backstop). Runs on
  // this transport's thread (its timer), like everything touching watched_.
  void Tick() {
    ticking_ = false;
    SteadyClock::time_point now = SteadyClock::now();
    std::vector<std::weak_ptr<Tcp::Peer>> alive;
    for (const std::weak_ptr<Tcp::Peer>& weak : watched_) {
      std::shared_ptr<Tcp::Peer> peer = weak.lock();
      if (!peer) continue;
      alive.push_back(weak);
      if (auto closing = std::static_pointer_cast<Closing>(peer->tryGetData(kClosingKey))) {
        if (!closing->shut && now - closing->at > kLinger) {
          closing->shut = true;
          ::shutdown(peer->fd(), SHUT_RDWR);
        }
        continue;
      }
      // An event stream: Pistache counts a connection idle since its parser
      // was last reset and closes it after the keep-alive timeout (a non-idle
      // one after the header timeout). The stream writes every 2 s until its
      // client leaves or the server stops: restart that count.
      if (peer->tryGetData(kEventStreamKey)) {
        if (auto parser = getParser(peer)) parser->reset();
        continue;
      }
      auto clock = std::static_pointer_cast<RequestClock>(peer->tryGetData(kRequestKey));
      if (clock && clock->began && now - *clock->began > limits_.header_timeout) {
        Refuse(peer, Http::Version::Http11,
               ErrorResponse(ApiError::kRequestTimeout, "the request did not arrive in time"),
               SHUT_RDWR);
      }
    }
    watched_.swap(alive);
    if (watched_.empty()) return;
    // A fresh one-shot timerfd each time: Pistache's transport forgets a timer
    // once it fired (closing it leaves the epoll set). Its callback runs while
    // the transport still holds the fired timer in its table, so arming the
    // next one there is refused (or worse, rehashes under its iterator): hop
    // through the transport's notifier (load()) and arm from its handler.
    int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return;  // out of descriptors: Pistache's own timeout remains
    ticking_ = true;
    tick_fd_ = fd;
    Pistache::Async::Promise<uint64_t> fired([&](Pistache::Async::Deferred<uint64_t> deferred) {
      transport()->armTimer(fd, kTick, std::move(deferred));
    });
    fired.then(
        [this, fd](uint64_t) {
          ::close(fd);
          tick_fd_ = -1;
          transport()->load().then([this](rusage) { Tick(); },
                                   [this](std::exception_ptr) { ticking_ = false; });
        },
        [this, fd](std::exception_ptr) {
          ::close(fd);
          tick_fd_ = -1;
          ticking_ = false;
        });
  }

  ConnectionLimits limits_;
  std::shared_ptr<std::atomic<int>> open_;
  // This clone's (one transport's) connections, for Tick.
  std::vector<std::weak_ptr<Tcp::Peer>> watched_;
  bool ticking_ = false;
  int tick_fd_ = -1;  // the armed timer's descriptor, -1 while none is
};

}  // namespace

std::shared_ptr<Http::Handler> MakeConnectionHandler(const Rest::Router& router,
                                                     ConnectionLimits limits,
                                                     std::shared_ptr<std::atomic<int>> open) {
  return std::make_shared<ConnectionHandler>(router, limits, std::move(open));
}

}  // namespace syncd::api
