#include "http_get.h"

#include <strings.h>

#include <array>
#include <asio.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <functional>

namespace syncd::loadgen {
namespace {

// Decodes a Transfer-Encoding: chunked body; returns false if it is cut short.
bool Dechunk(const std::string& in, std::string* out) {
  size_t pos = 0;
  out->clear();
  while (pos < in.size()) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    const size_t size = std::strtoul(in.c_str() + pos, nullptr, 16);
    pos = eol + 2;
    if (size == 0) return true;
    if (pos + size > in.size()) return false;
    out->append(in, pos, size);
    pos += size + 2;
  }
  return false;
}

// True once raw holds the whole response by Content-Length or the chunked
// terminator. Needed because a server may keep the socket open after the
// response despite "Connection: close" (Pistache does).
bool Complete(const std::string& raw) {
  const size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos) return false;
  std::string headers = raw.substr(0, header_end);
  for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t body = raw.size() - header_end - 4;
  const size_t length = headers.find("\r\ncontent-length:");
  if (length != std::string::npos) {
    return body >= std::strtoul(headers.c_str() + length + 17, nullptr, 10);
  }
  if (headers.find("chunked") != std::string::npos) {
    return raw.size() >= 5 && raw.compare(raw.size() - 5, 5, "0\r\n\r\n") == 0;
  }
  return false;  // delimited by EOF
}

}  // namespace

HttpResponse HttpGet(const std::string& base_url, const std::string& path, int timeout_ms) {
  HttpResponse response;
  const std::string scheme = "http://";
  if (base_url.rfind(scheme, 0) != 0) {
    response.error = "not an http:// URL: " + base_url;
    return response;
  }
  std::string authority = base_url.substr(scheme.size());
  authority = authority.substr(0, authority.find('/'));
  std::string host = authority;
  std::string port = "80";
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }

  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  asio::ip::tcp::socket socket(io);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + authority +
                              "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
  std::string raw;
  std::array<char, 8192> buf{};
  std::function<void()> read_more;
  asio::error_code failure;

  read_more = [&] {
    socket.async_read_some(asio::buffer(buf), [&](const asio::error_code& ec, size_t n) {
      raw.append(buf.data(), n);
      if (ec) {
        if (ec != asio::error::eof) failure = ec;
        return;
      }
      if (Complete(raw)) {
        asio::error_code ignored;
        socket.close(ignored);
        return;
      }
      read_more();
    });
  };
  resolver.async_resolve(host, port, [&](const asio::error_code& ec, const auto& endpoints) {
    if (ec) {
      failure = ec;
      return;
    }
    asio::async_connect(socket, endpoints, [&](const asio::error_code& ec2, const auto&) {
      if (ec2) {
        failure = ec2;
        return;
      }
      asio::async_write(socket, asio::buffer(request), [&](const asio::error_code& ec3, size_t) {
        if (ec3) {
          failure = ec3;
          return;
        }
        read_more();
      });
    });
  });
  io.run_for(std::chrono::milliseconds(timeout_ms));
  if (!io.stopped()) {
    response.error = "timed out after " + std::to_string(timeout_ms) + " ms";
    return response;
  }
  if (failure) {
    response.error = failure.message();
    return response;
  }

  const size_t header_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || header_end == std::string::npos) {
    response.error = "not an HTTP response";
    return response;
  }
  response.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  const std::string headers = raw.substr(0, header_end);
  std::string body = raw.substr(header_end + 4);
  bool chunked = false;
  size_t line = headers.find("\r\n");
  while (line != std::string::npos) {
    const size_t next = headers.find("\r\n", line + 2);
    const std::string h =
        headers.substr(line + 2, next == std::string::npos ? std::string::npos : next - line - 2);
    if (strncasecmp(h.c_str(), "transfer-encoding:", 18) == 0 &&
        h.find("chunked") != std::string::npos) {
      chunked = true;
    }
    line = next;
  }
  if (chunked && !Dechunk(body, &response.body)) {
    response.error = "truncated chunked body";
    response.status = 0;
  } else if (!chunked) {
    response.body = std::move(body);
  }
  return response;
}

}  // namespace syncd::loadgen
