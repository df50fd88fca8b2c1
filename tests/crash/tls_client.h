// A small blocking TLS client for the test behind nginx (OpenSSL directly):
// one TLS connection to 127.0.0.1 that verifies the server's certificate
// against a given CA file and host name, with an HTTPS request and a
// WebSocket (wss://) handshake and text frames on top. The frames are
// encoded by e2e/raw_socket.h's codec. One thread per object; header-only.
#ifndef SYNCD_TESTS_CRASH_TLS_CLIENT_H_
#define SYNCD_TESTS_CRASH_TLS_CLIENT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "e2e/raw_socket.h"

namespace syncd::test {

class TlsConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Connects to 127.0.0.1:port and completes the TLS handshake, verifying
  // the certificate chain against `ca_file` and the name `host`.
  TlsConnection(int port, const std::string& ca_file, const std::string& host) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr || SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
      Fail("cannot load " + ca_file);
      return;
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Fail("cannot connect to port " + std::to_string(port));
      return;
    }
    timeval tv{10, 0};  // a backstop: reads wait with poll() and deadlines
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    SSL_set1_host(ssl_, host.c_str());
    if (SSL_connect(ssl_) != 1) {
      Fail("TLS handshake failed (verify: " +
           std::string(X509_verify_cert_error_string(SSL_get_verify_result(ssl_))) + ")");
      return;
    }
    ok_ = true;
  }
  ~TlsConnection() {
    if (ssl_ != nullptr) {
      if (ok_) SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    if (fd_ >= 0) ::close(fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string protocol() const { return ok_ ? SSL_get_version(ssl_) : ""; }

  bool Write(const std::string& data) {
    if (!ok_) return false;
    size_t done = 0;
    while (done < data.size()) {
      int n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
      if (n <= 0) return Fail("write failed");
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // More bytes into buffer(); false at the deadline or the end of the stream.
  bool ReadSome(Clock::time_point deadline) {
    if (!ok_ || eof_) return false;
    if (SSL_pending(ssl_) == 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    }
    char buf[16384];
    int n = SSL_read(ssl_, buf, sizeof(buf));
    if (n <= 0) {
      int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;  // a TLS record
      eof_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
  std::string& buffer() { return buffer_; }

 private:
  bool Fail(const std::string& why) {
    unsigned long e = ERR_get_error();
    error_ = why;
    if (e != 0) {
      char text[256];
      ERR_error_string_n(e, text, sizeof(text));
      error_ += std::string(": ") + text;
    }
    ok_ = false;
    return false;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool ok_ = false, eof_ = false;
  std::string error_, buffer_;
};

struct HttpsAnswer {
  int status = 0;  // 0: no answer
  std::string head, body;
};

// One HTTPS request (Connection: close), the whole answer read.
inline HttpsAnswer HttpsRequest(
    int port, const std::string& ca_file, const std::string& host, const std::string& method,
    const std::string& path, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  HttpsAnswer a;
  TlsConnection c(port, ca_file, host);
  if (!c.ok()) {
    a.body = c.error();
    return a;
  }
  if (!c.Write(method + " " + path + " HTTP/1.1\r\nHost: " + host +
               "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")) {
    return a;
  }
  auto deadline = TlsConnection::Clock::now() + timeout;
  while (c.ReadSome(deadline)) {
  }
  std::string& raw = c.buffer();
  size_t end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || end == std::string::npos) return a;
  a.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  a.head = raw.substr(0, end);
  a.body = raw.substr(end + 4);
  std::string lower = a.head;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    std::string body, rest = a.body;
    for (;;) {
      size_t eol = rest.find("\r\n");
      if (eol == std::string::npos) break;
      size_t n = std::strtoul(rest.c_str(), nullptr, 16);
      if (n == 0) break;
      body += rest.substr(eol + 2, n);
      rest.erase(0, eol + 2 + n + 2);
    }
    a.body = body;
  }
  return a;
}

// A wss:// client: the upgrade over a TlsConnection, then text frames.
class TlsWebSocket {
 public:
  TlsWebSocket(int port, const std::string& ca_file, const std::string& host,
               const std::string& path)
      : conn_(port, ca_file, host) {
    if (!conn_.ok()) return;
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n";
    if (!conn_.Write(request)) return;
    auto deadline = TlsConnection::Clock::now() + std::chrono::seconds(10);
    size_t end;
    while ((end = conn_.buffer().find("\r\n\r\n")) == std::string::npos) {
      if (!conn_.ReadSome(deadline)) return;
    }
    head_ = conn_.buffer().substr(0, end);
    conn_.buffer().erase(0, end + 4);
    if (head_.compare(0, 5, "HTTP/") == 0) status_ = std::atoi(head_.c_str() + head_.find(' ') + 1);
  }

  bool open() const { return status_ == 101; }
  int status() const { return status_; }
  const std::string& head() const { return head_; }
  const std::string& error() const { return conn_.error(); }
  std::string protocol() const { return conn_.protocol(); }

  bool Send(const std::string& text) {
    return open() && conn_.Write(e2e::RawSocket::ClientFrame(0x1, text));
  }

  // The next text frame (pings are answered), or nullopt after `timeout` or
  // at the end of the connection.
  std::optional<std::string> Next(std::chrono::milliseconds timeout) {
    auto deadline = TlsConnection::Clock::now() + timeout;
    for (;;) {
      std::string& b = conn_.buffer();
      if (b.size() >= 2) {
        auto at = [&b](size_t i) { return static_cast<uint8_t>(b[i]); };
        size_t header = 2;
        uint64_t length = at(1) & 0x7f;
        if (length == 126) header = 4;
        if (length == 127) header = 10;
        if (b.size() >= header) {
          if (header == 4) length = (uint64_t{at(2)} << 8) | at(3);
          if (header == 10) {
            length = 0;
            for (size_t i = 2; i < 10; ++i) length = (length << 8) | at(i);
          }
          if (b.size() >= header + length) {
            int opcode = at(0) & 0x0f;
            std::string payload = b.substr(header, length);
            b.erase(0, header + length);
            if (opcode == 0x1) return payload;
            if (opcode == 0x8) return std::nullopt;
            if (opcode == 0x9) conn_.Write(e2e::RawSocket::ClientFrame(0xA, payload));
            continue;
          }
        }
      }
      if (!conn_.ReadSome(deadline)) return std::nullopt;
    }
  }

 private:
  TlsConnection conn_;
  int status_ = 0;
  std::string head_;
};

}  // namespace syncd::test

#endif  // SYNCD_TESTS_CRASH_TLS_CLIENT_H_
