// A blocking WebSocket test client (websocketpp on standalone Asio, one io
// thread per client) for the end-to-end, crash and fault tests: received text
// frames go into a queue that the test thread reads with timeouts, never with
// sleeps. websocketpp types stay in ws_client.cc, which compiles slowly.
//
// Ownership: the test owns each WsClient; its destructor closes the
// connection and joins the io thread. Call its methods from one test thread.
#ifndef SYNCD_TESTS_SUPPORT_WS_CLIENT_H_
#define SYNCD_TESTS_SUPPORT_WS_CLIENT_H_

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace syncd::test {

using Millis = std::chrono::milliseconds;

struct ConnectResult {
  bool ok = false;
  int http_status = 0;  // the HTTP status of the handshake response (101 when upgraded)
  std::string error;    // why it failed, when !ok
};

class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Opens `url` (ws://host:port/path) and waits until the connection is open
  // or has failed. One connection per client. `headers` go into the upgrade
  // request (Authorization, Origin).
  ConnectResult Connect(const std::string& url, Millis timeout = Millis(5000),
                        const std::map<std::string, std::string>& headers = {});

  // Queues one text frame. false when the connection is not open.
  bool Send(const std::string& text);

  // The next received text frame, or nullopt after `timeout` or once the
  // connection is closed and every frame before the close was read.
  std::optional<std::string> Next(Millis timeout = Millis(5000));

  // Reads frames until one parses as JSON and satisfies `predicate`; returns
  // it. Frames read before it are appended to *skipped when given.
  std::optional<std::string> WaitFor(const std::function<bool(const rapidjson::Document&)>& pred,
                                     Millis timeout = Millis(5000),
                                     std::vector<std::string>* skipped = nullptr);

  // Starts a normal close (1000) from the client side.
  void Close();
  // Waits until the connection is closed (by either side). false on timeout.
  bool WaitClosed(Millis timeout = Millis(5000));
  bool closed() const;
  // The close code and reason the server sent (0 / empty if none yet; 1006
  // when the TCP connection ended without a close frame).
  int close_code() const;
  std::string close_reason() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sends a ping with `timestamp` and reads until its pong: the server answers
// frames in order, so every reply to what was sent before has then arrived.
// The frames read before the pong go to *before (when given). false when no
// pong came within 5 s.
bool FlushWithPing(WsClient* client, std::vector<std::string>* before, int64_t timestamp = 42);

// Reads sync replies (sync_ack / sync_nack) until `count` distinct ids are
// answered or `timeout` passes; a further reply for an id already answered
// goes to *twice (when given). Keyed by id.
std::map<std::string, rapidjson::Document> CollectSyncReplies(
    WsClient& client, size_t count, std::chrono::milliseconds timeout,
    std::vector<std::string>* twice = nullptr);

// Connects `client` to `url` and waits for {"type":"status","status":"online"}.
::testing::AssertionResult ConnectOnline(WsClient& client, const std::string& url);

// Sends request_initial_data for `tenant` and returns the initial_data_load
// (one message: no page_size), or a null Document when none came within
// `timeout`.
rapidjson::Document RequestInitialData(WsClient& client, const std::string& tenant,
                                       std::chrono::milliseconds timeout);

// The accounts of an initial_data_load by entity id (pointing into `load`);
// empty when it has none.
std::map<std::string, const rapidjson::Value*> AccountsById(const rapidjson::Document& load);

}  // namespace syncd::test

#endif  // SYNCD_TESTS_SUPPORT_WS_CLIENT_H_
