#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace syncd::test {

namespace {

// Status line and headers (names lower-cased).
void ParseHead(const std::string& head, HttpReply* reply) {
  if (head.compare(0, 5, "HTTP/") != 0) return;
  reply->status = std::atoi(head.c_str() + head.find(' ') + 1);
  size_t line = head.find("\r\n");
  while (line != std::string::npos) {
    line += 2;
    size_t eol = head.find("\r\n", line);
    std::string header = head.substr(line, eol == std::string::npos ? eol : eol - line);
    size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::string name = header.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      size_t value = header.find_first_not_of(' ', colon + 1);
      reply->headers[name] = value == std::string::npos ? "" : header.substr(value);
    }
    line = eol;
  }
}

}  // namespace

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval timeout{30, 0};  // a hung server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

HttpReply ReadReply(int fd) {
  // Pistache does not close after answering, even on "Connection: close":
  // read the head, then exactly Content-Length bytes.
  HttpReply reply;
  std::string raw;
  char buf[65536];
  size_t head_end = std::string::npos, want = std::string::npos;
  while (want == std::string::npos || raw.size() < want) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos && (head_end = raw.find("\r\n\r\n")) != std::string::npos) {
      ParseHead(raw.substr(0, head_end), &reply);
      auto length = reply.headers.find("content-length");
      want = head_end + 4 + (length == reply.headers.end() ? 0 : std::stoul(length->second));
    }
  }
  if (head_end == std::string::npos) reply.status = 0;
  if (head_end != std::string::npos) reply.body = raw.substr(head_end + 4);
  return reply;
}

bool ClosedWithin(int fd, int wait_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
  }
  return false;
}

namespace {

void SendAll(int fd, const std::string& data) {
  // The server may answer (413) and close before reading everything: stop
  // writing on the first error and read what it said.
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

HttpReply HttpRequest(int port, const std::string& method, const std::string& target,
                      const std::string& body, const std::string& content_type,
                      const std::string& extra_headers) {
  int fd = Connect(port);
  if (fd < 0) return HttpReply{};
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
  if (method == "POST" || !body.empty()) {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += extra_headers + "Connection: close\r\n\r\n" + body;
  SendAll(fd, request);
  HttpReply reply = ReadReply(fd);
  ::close(fd);
  return reply;
}

HttpReply RawExchange(int port, const std::string& raw, bool* closed, int close_wait_ms) {
  int fd = Connect(port);
  if (fd < 0) return HttpReply{};
  SendAll(fd, raw);
  HttpReply reply = ReadReply(fd);
  if (closed != nullptr) *closed = ClosedWithin(fd, close_wait_ms);
  ::close(fd);
  return reply;
}

HttpResponse HttpGet(const std::string& host, int port, const std::string& path,
                     std::chrono::milliseconds timeout) {
  return HttpRequest(host, port, "GET", path, "", timeout);
}

HttpResponse HttpRequest(const std::string& host, int port, const std::string& method,
                         const std::string& path, const std::string& body,
                         std::chrono::milliseconds timeout) {
  HttpResponse response;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return response;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return response;
  }
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                        std::to_string(port) + "\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return response;
    }
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
    // Without Content-Length, the body ends when the server closes.
    size_t head_end = raw.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::string head = raw.substr(0, head_end);
      for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t cl = head.find("content-length:");
      if (cl != std::string::npos &&
          raw.size() - head_end - 4 >= std::stoul(head.substr(cl + 15))) {
        break;
      }
    }
  }
  ::close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) return response;
  size_t space = raw.find(' ');
  response.status = std::atoi(raw.c_str() + space + 1);
  response.headers = raw.substr(0, head_end);
  response.body = raw.substr(head_end + 4);
  return response;
}

}  // namespace syncd::test
