#include "support/ws_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include "support/json_helpers.h"

namespace syncd::test {

namespace {

using Client = websocketpp::client<websocketpp::config::asio_client>;
using Hdl = websocketpp::connection_hdl;

// SYNCD_RECORD_FRAMES=<file>: every text frame a WsClient sends or receives
// is appended to <file> as one JSON line {"dir":"sent"|"received","frame":"…"},
// so that tests/asyncapi can check the real traffic against asyncapi.yaml.
// One write(2) per line on an O_APPEND descriptor: lines from parallel
// clients and test processes do not interleave.
void RecordFrame(const char* dir, const std::string& text) {
  // Read once (a function-local static); nothing in the tests sets it.
  static const char* const path =
      std::getenv("SYNCD_RECORD_FRAMES");  // NOLINT(concurrency-mt-unsafe)
  if (path == nullptr || *path == '\0') return;
  static const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("dir");
  w.String(dir);
  w.Key("frame");
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  w.EndObject();
  std::string line(buffer.GetString(), buffer.GetSize());
  line += '\n';
  // A short or failed write only loses a record; the test itself goes on.
  [[maybe_unused]] ssize_t n = ::write(fd, line.data(), line.size());
}

}  // namespace

struct WsClient::Impl {
  Client client;
  std::thread io;

  mutable std::mutex mu;
  std::condition_variable cv;
  Hdl hdl;
  bool opened = false;    // the handshake succeeded
  bool finished = false;  // failed or closed: no frame will arrive any more
  int http_status = 0;
  std::string error;
  int close_code = 0;
  std::string close_reason;
  std::deque<std::string> frames;

  Impl() {
    client.clear_access_channels(websocketpp::log::alevel::all);
    client.clear_error_channels(websocketpp::log::elevel::all);
    client.init_asio();
    client.start_perpetual();
    io = std::thread([this] { client.run(); });
  }

  ~Impl() {
    bool open_now;
    {
      std::lock_guard<std::mutex> lock(mu);
      open_now = opened && !finished;
    }
    if (open_now) {
      websocketpp::lib::error_code ec;
      client.close(hdl, websocketpp::close::status::normal, "test done", ec);
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::seconds(2), [this] { return finished; });
    }
    client.stop_perpetual();
    // A connection still connecting or closing would keep run() busy.
    client.stop();
    io.join();
  }

  void OnOpen(Hdl h) {
    Client::connection_ptr con = client.get_con_from_hdl(h);
    std::lock_guard<std::mutex> lock(mu);
    opened = true;
    http_status = static_cast<int>(con->get_response_code());
    cv.notify_all();
  }

  void OnFail(Hdl h) {
    Client::connection_ptr con = client.get_con_from_hdl(h);
    std::lock_guard<std::mutex> lock(mu);
    http_status = static_cast<int>(con->get_response_code());
    error = con->get_ec().message();
    close_code = con->get_remote_close_code();
    close_reason = con->get_remote_close_reason();
    finished = true;
    cv.notify_all();
  }

  void OnClose(Hdl h) {
    Client::connection_ptr con = client.get_con_from_hdl(h);
    std::lock_guard<std::mutex> lock(mu);
    close_code = con->get_remote_close_code();
    close_reason = con->get_remote_close_reason();
    finished = true;
    cv.notify_all();
  }

  void OnMessage(Hdl, Client::message_ptr msg) {
    if (msg->get_opcode() == websocketpp::frame::opcode::text) {
      RecordFrame("received", msg->get_payload());
    }
    std::lock_guard<std::mutex> lock(mu);
    frames.push_back(msg->get_payload());
    cv.notify_all();
  }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}
WsClient::~WsClient() = default;

ConnectResult WsClient::Connect(const std::string& url, Millis timeout,
                                const std::map<std::string, std::string>& headers) {
  ConnectResult result;
  websocketpp::lib::error_code ec;
  Client::connection_ptr con = impl_->client.get_connection(url, ec);
  if (ec) {
    result.error = "bad url " + url + ": " + ec.message();
    return result;
  }
  for (const auto& [name, value] : headers) con->append_header(name, value);
  Impl* impl = impl_.get();
  con->set_open_handler([impl](Hdl h) { impl->OnOpen(h); });
  con->set_fail_handler([impl](Hdl h) { impl->OnFail(h); });
  con->set_close_handler([impl](Hdl h) { impl->OnClose(h); });
  con->set_message_handler([impl](Hdl h, Client::message_ptr m) { impl->OnMessage(h, m); });
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->hdl = con->get_handle();
  }
  impl_->client.connect(con);
  std::unique_lock<std::mutex> lock(impl_->mu);
  if (!impl_->cv.wait_for(lock, timeout, [this] { return impl_->opened || impl_->finished; })) {
    result.error = "timed out connecting to " + url;
    return result;
  }
  result.ok = impl_->opened;
  result.http_status = impl_->http_status;
  result.error = impl_->error;
  return result;
}

bool WsClient::Send(const std::string& text) {
  Hdl hdl;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->opened || impl_->finished) return false;
    hdl = impl_->hdl;
  }
  websocketpp::lib::error_code ec;
  impl_->client.send(hdl, text, websocketpp::frame::opcode::text, ec);
  if (!ec) RecordFrame("sent", text);
  return !ec;
}

std::optional<std::string> WsClient::Next(Millis timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout, [this] { return !impl_->frames.empty() || impl_->finished; });
  if (impl_->frames.empty()) return std::nullopt;
  std::string frame = std::move(impl_->frames.front());
  impl_->frames.pop_front();
  return frame;
}

std::optional<std::string> WsClient::WaitFor(
    const std::function<bool(const rapidjson::Document&)>& pred, Millis timeout,
    std::vector<std::string>* skipped) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = Millis(0);
    std::optional<std::string> frame = Next(left);
    if (!frame) return std::nullopt;
    rapidjson::Document doc = ParseJson(*frame);
    if (!doc.HasParseError() && pred(doc)) return frame;
    if (skipped != nullptr) skipped->push_back(std::move(*frame));
  }
}

void WsClient::Close() {
  Hdl hdl;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->opened || impl_->finished) return;
    hdl = impl_->hdl;
  }
  websocketpp::lib::error_code ec;
  impl_->client.close(hdl, websocketpp::close::status::normal, "client close", ec);
}

bool WsClient::WaitClosed(Millis timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->finished; });
}

bool WsClient::closed() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->finished;
}

int WsClient::close_code() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->close_code;
}

std::string WsClient::close_reason() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->close_reason;
}

bool FlushWithPing(WsClient* client, std::vector<std::string>* before, int64_t timestamp) {
  if (client == nullptr) return false;
  if (!client->Send("{\"type\":\"ping\",\"timestamp\":" + std::to_string(timestamp) + "}")) {
    return false;
  }
  std::optional<std::string> pong = client->WaitFor(
      [timestamp](const rapidjson::Document& d) {
        return GetString(d, "type") == "pong" && d.HasMember("timestamp") &&
               d["timestamp"].IsInt64() && d["timestamp"].GetInt64() == timestamp;
      },
      Millis(5000), before);
  return pong.has_value();
}

::testing::AssertionResult ConnectOnline(WsClient& client, const std::string& url) {
  ConnectResult r = client.Connect(url);
  if (!r.ok) return ::testing::AssertionFailure() << "connect " << url << ": " << r.error;
  std::optional<std::string> online = client.WaitFor(
      [](const rapidjson::Document& d) { return GetString(d, "status") == "online"; });
  if (!online) return ::testing::AssertionFailure() << "no status online on " << url;
  return ::testing::AssertionSuccess();
}

std::map<std::string, rapidjson::Document> CollectSyncReplies(WsClient& client, size_t count,
                                                              std::chrono::milliseconds timeout,
                                                              std::vector<std::string>* twice) {
  std::map<std::string, rapidjson::Document> replies;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (replies.size() < count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) break;
    std::optional<std::string> frame =
        client.WaitFor([](const rapidjson::Document& d) { return IsSyncReply(d); }, left);
    if (!frame) break;
    rapidjson::Document d = ParseJson(*frame);
    std::string id = GetString(d, "id");
    if (replies.count(id) != 0) {
      if (twice != nullptr) twice->push_back(id);
      continue;
    }
    replies.emplace(id, std::move(d));
  }
  return replies;
}

rapidjson::Document RequestInitialData(WsClient& client, const std::string& tenant,
                                       std::chrono::milliseconds timeout) {
  rapidjson::Document none;
  if (!client.Send(R"({"type":"request_initial_data","tenant_id":")" + tenant + "\"}")) return none;
  std::optional<std::string> load = client.WaitFor(
      [](const rapidjson::Document& d) { return GetString(d, "type") == "initial_data_load"; },
      timeout);
  if (!load) return none;
  return ParseJson(*load);
}

std::map<std::string, const rapidjson::Value*> AccountsById(const rapidjson::Document& load) {
  std::map<std::string, const rapidjson::Value*> out;
  if (!load.IsObject() || !load.HasMember("payload") || !load["payload"].IsObject() ||
      !load["payload"].HasMember("accounts") || !load["payload"]["accounts"].IsArray()) {
    return out;
  }
  for (const rapidjson::Value& v : load["payload"]["accounts"].GetArray()) {
    out[GetString(v, "id")] = &v;
  }
  return out;
}

}  // namespace syncd::test
