#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace syncd::api::testing {

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

HttpReply HttpRequest(int port, const std::string& method, const std::string& target,
                      const std::string& body, const std::string& content_type) {
  HttpReply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  timeval timeout{30, 0};  // a hung server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return reply;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
  if (method == "POST" || !body.empty()) {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "Connection: close\r\n\r\n" + body;
  // The server may answer (413) and close before reading everything: stop
  // writing on the first error and read what it said.
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // Pistache does not close after answering, even on "Connection: close":
  // read the head, then exactly Content-Length bytes.
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
  ::close(fd);
  if (head_end == std::string::npos) reply.status = 0;
  if (head_end != std::string::npos) reply.body = raw.substr(head_end + 4);
  return reply;
}

}  // namespace syncd::api::testing
