// A tiny blocking HTTP/1.1 client for the API tests: one request per
// connection (Connection: close), reads the whole answer.
#ifndef SYNCD_TESTS_API_HTTP_CLIENT_H_
#define SYNCD_TESTS_API_HTTP_CLIENT_H_

#include <map>
#include <string>

namespace syncd::api::testing {

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

}  // namespace syncd::api::testing

#endif  // SYNCD_TESTS_API_HTTP_CLIENT_H_
