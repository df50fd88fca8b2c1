// The fixture of the end-to-end tests: a real App (WebSocket and REST servers,
// pipeline, database) on port 0 with a fresh database per test, and helpers
// that open clients and build protocol messages. E2eTest runs on a SQLite
// file; E2eEngineTest is the same fixture parametrised by engine (a SQLite
// file, or a fresh database on the throwaway PostgreSQL server).
#ifndef SYNCD_TESTS_E2E_E2E_FIXTURE_H_
#define SYNCD_TESTS_E2E_E2E_FIXTURE_H_

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/entry_builders.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/ws_client.h"
#include "syncd/app/app.h"
#include "syncd/app/options.h"
#include "syncd/domain/canonical_json.h"

namespace syncd::e2e {

using test::Millis;

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// md5 of the canonical JSON of an entity as received (protocol.md, Checksum).
inline std::string ChecksumOf(const rapidjson::Value& entity) {
  return domain::Md5Hex(domain::CanonicalJson(entity));
}

inline bool IsLowerHex32(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

inline bool IsType(const rapidjson::Document& d, const char* type) {
  return test::GetString(d, "type") == type;
}

// A sync_ack or sync_nack for entry `id`.
inline bool IsReplyTo(const rapidjson::Document& d, const std::string& id) {
  return (IsType(d, "sync_ack") || IsType(d, "sync_nack")) && test::GetString(d, "id") == id;
}

// Finds an entity by id in initial_data_load's payload array `collection`.
inline const rapidjson::Value* FindEntity(const rapidjson::Document& load, const char* collection,
                                          const std::string& id) {
  if (!load.HasMember("payload") || !load["payload"].HasMember(collection)) return nullptr;
  const rapidjson::Value& list = load["payload"][collection];
  if (!list.IsArray()) return nullptr;
  for (const rapidjson::Value& e : list.GetArray()) {
    if (test::GetString(e, "id") == id) return &e;
  }
  return nullptr;
}

class E2eTest : public ::testing::Test {
 protected:
  static constexpr const char* kHost = "127.0.0.1";

  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "syncd-e2e-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_path_ = dir_ + "/syncd.db";
    if (engine_ == test::Engine::kPostgres) SYNCD_POSTGRES_DATABASE_OR_SKIP(db_path_);
    StartApp();
  }

  void TearDown() override {
    clients_.clear();
    app_.reset();
    if (engine_ == test::Engine::kPostgres) test::DropPostgresDatabase(db_path_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  app::Options MakeOptions() const {
    app::Options options;
    options.host = kHost;
    options.ws_port = 0;
    options.http_port = 0;
    options.db = db_path_;  // a SQLite file, or a postgresql:// URL
    // A restart (StopApp, StartApp) is the same instance: it takes its
    // unfinished rows back at once.
    options.instance_id = "e2e-instance";
    return options;
  }

  void StartApp() { StartApp(MakeOptions()); }
  void StartApp(const app::Options& options) {
    common::Status status;
    app_ = app::App::Create(options, &status);
    ASSERT_NE(app_, nullptr) << status.message();
    common::Status started = app_->Start();
    ASSERT_TRUE(started.ok()) << started.message();
    ASSERT_GT(app_->ws_port(), 0);
  }

  void StopApp() {
    if (app_) app_->Shutdown();
    app_.reset();
  }

  std::string Url(const std::string& path) const {
    return "ws://" + std::string(kHost) + ":" + std::to_string(app_->ws_port()) + path;
  }

  // A connected client of `tenant` that has seen {"type":"status","status":"online"}.
  // Owned by the fixture; nullptr (and a test failure) when that did not happen.
  test::WsClient* Open(const std::string& tenant, const std::string& prefix = "/ws_finwise/ws/") {
    auto client = std::make_unique<test::WsClient>();
    test::ConnectResult r = client->Connect(Url(prefix + tenant));
    if (!r.ok) {
      ADD_FAILURE() << "connect failed: " << r.error << " (HTTP " << r.http_status << ")";
      return nullptr;
    }
    std::optional<std::string> first = client->Next();
    rapidjson::Document d = test::ParseJson(first.value_or(""));
    if (d.HasParseError() || !IsType(d, "status") || test::GetString(d, "status") != "online") {
      ADD_FAILURE() << "first frame is not status online: " << first.value_or("<none>");
      return nullptr;
    }
    clients_.push_back(std::move(client));
    return clients_.back().get();
  }

  // Sends `text` and returns the first frame of type `type` (skipping others
  // into *skipped when given).
  static rapidjson::Document Request(test::WsClient* c, const std::string& text, const char* type,
                                     std::vector<std::string>* skipped = nullptr,
                                     Millis timeout = Millis(5000)) {
    rapidjson::Document d;
    if (c == nullptr || !c->Send(text)) {
      ADD_FAILURE() << "could not send " << text.substr(0, 200);
      d.SetNull();
      return d;
    }
    std::optional<std::string> frame = c->WaitFor(
        [type](const rapidjson::Document& doc) { return IsType(doc, type); }, timeout, skipped);
    if (!frame) {
      ADD_FAILURE() << "no " << type << " after " << text.substr(0, 200);
      d.SetNull();
      return d;
    }
    return test::ParseJson(*frame);
  }

  // Sends one process_sync_entry and returns its sync_ack/sync_nack.
  static rapidjson::Document SendEntry(test::WsClient* c, const std::string& entry_id,
                                       const std::string& entry_json,
                                       std::vector<std::string>* skipped = nullptr) {
    rapidjson::Document d;
    if (c == nullptr || !c->Send(test::SyncEntryMessage(entry_json))) {
      ADD_FAILURE() << "could not send entry " << entry_id;
      d.SetNull();
      return d;
    }
    std::optional<std::string> frame =
        c->WaitFor([&entry_id](const rapidjson::Document& doc) { return IsReplyTo(doc, entry_id); },
                   Millis(5000), skipped);
    if (!frame) {
      ADD_FAILURE() << "no reply to entry " << entry_id;
      d.SetNull();
      return d;
    }
    return test::ParseJson(*frame);
  }

  rapidjson::Document InitialData(test::WsClient* c, const std::string& tenant) {
    return Request(c, "{\"type\":\"request_initial_data\",\"tenant_id\":\"" + tenant + "\"}",
                   "initial_data_load");
  }

  test::Engine engine_ = test::Engine::kSqlite;
  std::string dir_;
  std::string db_path_;
  std::unique_ptr<app::App> app_;
  std::vector<std::unique_ptr<test::WsClient>> clients_;
};

// E2eTest on each engine: TEST_P(Suite, ...) with `class Suite : public
// E2eEngineTest {};` and SYNCD_E2E_ON_BOTH_ENGINES(Suite).
class E2eEngineTest : public E2eTest, public ::testing::WithParamInterface<test::Engine> {
 protected:
  void SetUp() override {
    engine_ = GetParam();
    E2eTest::SetUp();
  }
};

#define SYNCD_E2E_ON_BOTH_ENGINES(suite)                                                      \
  INSTANTIATE_TEST_SUITE_P(Engines, suite,                                                    \
                           ::testing::Values(test::Engine::kSqlite, test::Engine::kPostgres), \
                           test::EngineParamName)

}  // namespace syncd::e2e

#endif  // SYNCD_TESTS_E2E_E2E_FIXTURE_H_
