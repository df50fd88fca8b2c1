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

// content_type "" sends no Content-Type header.
HttpReply HttpRequest(int port, const std::string& method, const std::string& target,
                      const std::string& body = "",
                      const std::string& content_type = "application/json");

}  // namespace syncd::api::testing

#endif  // SYNCD_TESTS_API_HTTP_CLIENT_H_
