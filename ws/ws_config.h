// Private to ws/: the websocketpp configuration of the server. It is
// websocketpp's `config::asio` with one change, the end of a connection
// (see DrainingSocket). Include only from ws_server.cc (slow to compile).
#ifndef SYNCD_WS_WS_CONFIG_H_
#define SYNCD_WS_WS_CONFIG_H_

#include <array>
#include <chrono>
#include <memory>
#include <websocketpp/config/asio_no_tls.hpp>

namespace syncd::ws {

// websocketpp's plain TCP socket, whose shutdown drains instead of closing
// on unread data. Closing a socket that still holds unread bytes makes the
// kernel answer with a reset, and a reset can reach the client before it has
// read our close frame: it then sees 1006 instead of the code we sent. That
// is what happened after a frame over --max-message-bytes: websocketpp sends
// 1009 and stops reading, and as 1009 is a "terminal" code it shuts the
// socket down as soon as the close frame is written, while the client is
// still sending the rest of its frame (the same for 1008, 1011, 1002, 1007).
// So at shutdown we send our FIN, read and discard until the client closes
// its side (or kDrainTimeout passes, or kDrainMaxBytes were discarded), and
// only then close. websocketpp's own socket-shutdown timeout (5 s) stays the
// outer bound.
class DrainingSocket : public websocketpp::transport::asio::basic_socket::connection {
 public:
  static constexpr std::chrono::milliseconds kDrainTimeout{2000};
  static constexpr size_t kDrainMaxBytes = 64 << 20;

  // Called by the transport (a name in this class hides the base's: the
  // transport calls it through the socket type of the config).
  void async_shutdown(websocketpp::transport::asio::socket::shutdown_handler handler) {
    namespace asio = websocketpp::lib::asio;
    asio::error_code ec;
    get_socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (ec) {
      // Not connected any more: nothing to drain.
      asio::error_code ignored;
      get_socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      handler(ec);
      return;
    }
    // websocketpp may still have a read pending. Asio completes one read per
    // readiness event when it comes back short (as at end of stream), so a
    // second read would miss the client's FIN: cancel the first.
    get_socket().cancel(ec);
    auto drain = std::make_shared<Drain>(get_shared(), get_socket(), std::move(handler));
    drain->timer.expires_after(kDrainTimeout);
    drain->timer.async_wait([drain](const asio::error_code& timer_ec) {
      asio::error_code ignored;
      if (!timer_ec) drain->socket.cancel(ignored);
    });
    Read(drain);
  }

 private:
  struct Drain {
    Drain(websocketpp::transport::asio::basic_socket::connection::ptr s,
          websocketpp::lib::asio::ip::tcp::socket& sock,
          websocketpp::transport::asio::socket::shutdown_handler h)
        : self(std::move(s)), socket(sock), timer(sock.get_executor()), handler(std::move(h)) {}
    websocketpp::transport::asio::basic_socket::connection::ptr self;  // keeps the socket
    websocketpp::lib::asio::ip::tcp::socket& socket;
    websocketpp::lib::asio::steady_timer timer;
    websocketpp::transport::asio::socket::shutdown_handler handler;
    std::array<char, 16384> buffer{};
    size_t discarded = 0;
  };

  static void Read(const std::shared_ptr<Drain>& drain) {
    namespace asio = websocketpp::lib::asio;
    drain->socket.async_read_some(
        asio::buffer(drain->buffer), [drain](const asio::error_code& ec, size_t n) {
          drain->discarded += n;
          if (!ec && drain->discarded < kDrainMaxBytes) {
            Read(drain);
            return;
          }
          // The client closed (EOF), reset, or we stop waiting for it.
          asio::error_code ignored;
          drain->timer.cancel(ignored);
          drain->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
          drain->handler(asio::error_code());
        });
  }
};

class DrainingSocketEndpoint : public websocketpp::transport::asio::basic_socket::endpoint {
 public:
  using socket_con_type = DrainingSocket;
  using socket_con_ptr = std::shared_ptr<DrainingSocket>;
};

struct ServerConfig : public websocketpp::config::asio {
  using type = ServerConfig;
  struct transport_config : public websocketpp::config::asio::transport_config {
    using socket_type = DrainingSocketEndpoint;
  };
  using transport_type = websocketpp::transport::asio::endpoint<transport_config>;
};

}  // namespace syncd::ws

#endif  // SYNCD_WS_WS_CONFIG_H_
