// A raw TCP client for tests that need what a WebSocket library hides:
// handshake requests with chosen headers (Origin), the HTTP answer of a
// refused upgrade, frames written in several TCP writes, a client that does
// not read. Blocking sockets with timeouts; header-only, no websocketpp.
#ifndef SYNCD_TESTS_E2E_RAW_SOCKET_H_
#define SYNCD_TESTS_E2E_RAW_SOCKET_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

namespace syncd::e2e {

struct RawHttpAnswer {
  int status = 0;  // 0: no answer (yet)
  std::string headers;
  std::string body;
};

struct RawFrame {
  int opcode = -1;   // -1: none (timeout or connection ended)
  bool fin = false;  // the last frame of its message
  std::string payload;
};

class RawSocket {
 public:
  // Connects to 127.0.0.1:port. `rcvbuf`/`sndbuf` > 0 set the buffer sizes
  // before connecting (small ones make a client that does not read or a
  // write that cannot complete visible quickly).
  explicit RawSocket(int port, int rcvbuf = 0, int sndbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (sndbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // A slow reader: from now on at most `bytes_per_s` (in reads of 16 KB at
  // most, each followed by its share of a second). 0: as fast as it comes.
  void ThrottleReads(int64_t bytes_per_s) { read_rate_ = bytes_per_s; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // The whole of `data`, blocking; false when the connection failed
  // (reset, or not writable for `timeout`).
  bool SendAll(const std::string& data,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t sent = 0;
    while (sent < data.size()) {
      if (!WaitFor(POLLOUT, deadline)) return false;
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  static std::string UpgradeRequest(const std::string& path, const std::string& origin = "") {
    std::string r = "GET " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!origin.empty()) r += "Origin: " + origin + "\r\n";
    return r + "\r\n";
  }

  // Reads one HTTP answer head (and its body when it has Content-Length).
  RawHttpAnswer ReadHttp(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    RawHttpAnswer answer;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadSome(deadline)) return answer;
    }
    std::string head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end + 4);
    if (head.compare(0, 5, "HTTP/") != 0) return answer;
    answer.status = std::atoi(head.c_str() + head.find(' ') + 1);
    answer.headers = head;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t cl = lower.find("content-length:");
    if (cl != std::string::npos) {
      size_t length = std::strtoul(lower.c_str() + cl + 15, nullptr, 10);
      while (buffer_.size() < length) {
        if (!ReadSome(deadline)) break;
      }
      answer.body = buffer_.substr(0, length);
      buffer_.erase(0, answer.body.size());
    }
    return answer;
  }

  // One server frame (unmasked); opcode -1 on timeout or end of stream.
  RawFrame ReadFrame(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    RawFrame frame;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (buffer_.size() >= 2) {
        auto b = [this](size_t i) { return static_cast<uint8_t>(buffer_[i]); };
        size_t header = 2;
        uint64_t length = b(1) & 0x7f;
        if (length == 126) header = 4;
        if (length == 127) header = 10;
        if (buffer_.size() >= header) {
          if (header == 4) length = (uint64_t{b(2)} << 8) | b(3);
          if (header == 10) {
            length = 0;
            for (size_t i = 2; i < 10; ++i) length = (length << 8) | b(i);
          }
          if (buffer_.size() >= header + length) {
            frame.opcode = b(0) & 0x0f;
            frame.fin = (b(0) & 0x80) != 0;
            frame.payload = buffer_.substr(header, length);
            buffer_.erase(0, header + length);
            return frame;
          }
        }
      }
      if (!ReadSome(deadline)) return frame;
    }
  }

  // A masked client frame (FIN set) with `opcode` and `payload`.
  static std::string ClientFrame(int opcode, const std::string& payload) {
    std::string f;
    f.push_back(static_cast<char>(0x80 | opcode));
    const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (payload.size() < 126) {
      f.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() < 65536) {
      f.push_back(static_cast<char>(0x80 | 126));
      f.push_back(static_cast<char>(payload.size() >> 8));
      f.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
      f.push_back(static_cast<char>(0x80 | 127));
      for (int i = 7; i >= 0; --i) {
        f.push_back(static_cast<char>((static_cast<uint64_t>(payload.size()) >> (8 * i)) & 0xff));
      }
    }
    f.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < payload.size(); ++i) {
      f.push_back(static_cast<char>(static_cast<uint8_t>(payload[i]) ^ mask[i % 4]));
    }
    return f;
  }

  // Whether the server closed or reset the connection within `timeout`
  // (data still arriving is read and dropped).
  bool WaitEnd(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!WaitFor(POLLIN, deadline)) return false;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
    }
  }

 private:
  bool WaitFor(short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || fd_ < 0) return false;
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(left));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  }

  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    if (!WaitFor(POLLIN, deadline)) return false;
    char buf[65536];
    size_t want = read_rate_ > 0 ? 16384 : sizeof(buf);
    ssize_t n = ::recv(fd_, buf, want, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    if (read_rate_ > 0) {
      // Pacing the reader, not waiting for the server.
      std::this_thread::sleep_for(std::chrono::microseconds(n * 1000000 / read_rate_));
    }
    return true;
  }

  int fd_ = -1;
  int64_t read_rate_ = 0;
  std::string buffer_;
};

}  // namespace syncd::e2e

#endif  // SYNCD_TESTS_E2E_RAW_SOCKET_H_
