// Tiny blocking HTTP/1.1 clients for the tests: one request per connection
// (Connection: close), reading the whole answer. HttpRequest(port, ...) and
// its raw helpers serve the API tests (headers parsed into a map, chosen
// Content-Type and extra headers); HttpRequest(host, port, ...) and HttpGet
// serve the end-to-end and crash tests (the head kept as text, a timeout).
#ifndef SYNCD_TESTS_SUPPORT_HTTP_CLIENT_H_
#define SYNCD_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <chrono>
#include <map>
#include <string>

namespace syncd::test {

struct HttpReply {
  int status = 0;                              // 0: no answer (connection failed)
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// content_type "" sends no Content-Type header. `extra_headers`: more header
// lines, each ending in \r\n ("Origin: http://x\r\n").
HttpReply HttpRequest(int port, const std::string& method, const std::string& target,
                      const std::string& body = "",
                      const std::string& content_type = "application/json",
                      const std::string& extra_headers = "");

// Sends `raw` as it is on a new connection and reads one answer (head and
// Content-Length bytes). *closed (if given) tells whether the server then
// closed the connection (EOF within `close_wait_ms`).
HttpReply RawExchange(int port, const std::string& raw, bool* closed = nullptr,
                      int close_wait_ms = 2000);

// A connected socket to 127.0.0.1:port (-1 on failure), receive timeout 30 s.
int Connect(int port);

// Reads one answer from `fd` (head and Content-Length bytes); status 0 if none.
HttpReply ReadReply(int fd);

// True when the peer closes `fd` (EOF or reset) within `wait_ms`, after any
// data it still sends.
bool ClosedWithin(int fd, int wait_ms);

struct HttpResponse {
  int status = 0;  // 0 when no response could be read
  std::string headers;
  std::string body;
};

// One plain HTTP/1.1 GET with Connection: close, over a TCP socket.
HttpResponse HttpGet(const std::string& host, int port, const std::string& path,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// Any method; a JSON body (Content-Type application/json) when `body` is not
// empty or the method is POST.
HttpResponse HttpRequest(const std::string& host, int port, const std::string& method,
                         const std::string& path, const std::string& body = "",
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace syncd::test

#endif  // SYNCD_TESTS_SUPPORT_HTTP_CLIENT_H_
