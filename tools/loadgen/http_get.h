// A tiny blocking HTTP/1.1 GET for the server's statistics.
#ifndef SYNCD_TOOLS_LOADGEN_HTTP_GET_H_
#define SYNCD_TOOLS_LOADGEN_HTTP_GET_H_

#include <string>

namespace syncd::loadgen {

struct HttpResponse {
  int status = 0;     // 0 when no response was read
  std::string body;   // de-chunked
  std::string error;  // why status is 0
};

// GETs base_url + path, where base_url is "http://host[:port]". Gives up
// after timeout_ms. Any thread; each call has its own io context.
HttpResponse HttpGet(const std::string& base_url, const std::string& path, int timeout_ms);

}  // namespace syncd::loadgen

#endif  // SYNCD_TOOLS_LOADGEN_HTTP_GET_H_
