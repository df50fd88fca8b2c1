// End-to-end on the real binary in `token` mode (accounts.md): accounts and
// token rotation, WebSocket upgrades with the token in the header or the
// query, tenant isolation, a 401 for every non-open route of the route
// table, operator-only routes, expiry closing a connection, login
// throttling, tenant delete and reset, and the start-up refusals.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"
#include "syncd/api/http_server.h"
#include "syncd/auth/tokens.h"

#ifndef SYNCD_BINARY
#error "SYNCD_BINARY must name the syncd executable"
#endif

namespace syncd::e2e {
namespace {

using test::HttpReply;
using test::Millis;

const char kSecret[] = "an-end-to-end-test-secret-of-48-bytes-0123456789";

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

// Runs the binary to its end with `input` on standard input.
Ran RunBinary(const std::vector<std::string>& args, const std::string& input,
              const std::map<std::string, std::string>& env = {}) {
  Ran ran;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return ran;
  }
  std::vector<std::string> all = {SYNCD_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv = test::ExecPointers(all);
  std::vector<std::string> env_strings = test::ChildEnvironment(env);
  std::vector<char*> envp = test::ExecPointers(env_strings);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  // Both pipes are small here (a line or two): read them in turn to EOF.
  for (auto [fd, text] : {std::pair{out[0], &ran.out}, std::pair{err[0], &ran.err}}) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) text->append(buf, static_cast<size_t>(n));
    close(fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

std::string Bearer(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }

// One request from the client address `source` (another 127.x address):
// the login throttle keys on the client address too.
HttpReply CallFrom(int port, const std::string& source, const std::string& method,
                   const std::string& target, const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return HttpReply{};
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return HttpReply{};
  }
  std::string request = method + " " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        "Content-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  (void)!::write(fd, request.data(), request.size());
  HttpReply reply = test::ReadReply(fd);
  ::close(fd);
  return reply;
}

// An ES256 public key of nobody: token mode that accepts only an external
// provider's tokens.
const char kExternalPublicKey[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEA8Z0rV9yYtb2aXP7sHjoZEwJ80ya\n"
    "v4Ad7BH/E068Ygp7c0kuXXtKnqFE+G8dqwQ6SQ32eMoF3gQJ54lUJJbeNw==\n"
    "-----END PUBLIC KEY-----\n";

struct Session {
  std::string user_id, access, refresh;
};

class AuthE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secret_file_ = dir_.path() + "/secret";
    std::ofstream(secret_file_) << kSecret << "\n";
  }

  // Starts syncd in token mode; `extra` flags after the defaults.
  void Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--db",
                                     db_.empty() ? dir_.path() + "/syncd.db" : db_,
                                     "--auth",
                                     "token",
                                     "--jwt-secret-file",
                                     secret_file_};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(syncd_.Start(args, {})) << syncd_.error();
  }

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& token = "") {
    return test::HttpRequest(syncd_.http_port(), method, target, body, "application/json",
                             token.empty() ? "" : Bearer(token));
  }

  std::string Register(const std::string& name, const std::string& email,
                       const std::string& password = "password-1") {
    HttpReply r = Call("POST", "/register",
                       R"({"name":")" + name + R"(","email":")" + email + R"(","password":")" +
                           password + R"("})");
    EXPECT_EQ(r.status, 201) << r.body;
    return test::GetString(Json(r.body), "uuid");
  }

  Session Login(const std::string& login, const std::string& password = "password-1") {
    HttpReply r =
        Call("POST", "/login",
             R"({"username_or_email":")" + login + R"(","password":")" + password + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    rapidjson::Document d = Json(r.body);
    return Session{test::GetString(d, "uuid"), test::GetString(d, "accessToken"),
                   test::GetString(d, "refreshToken")};
  }

  // A registered, signed-in user owning `tenant`.
  Session UserWithTenant(const std::string& name, const std::string& tenant) {
    Register(name, name + "@example.org");
    Session s = Login(name + "@example.org");
    HttpReply r = Call(
        "POST", "/tenants/",
        R"({"uuid":")" + tenant + R"(","name":"Home","user_id":")" + s.user_id + R"("})", s.access);
    EXPECT_EQ(r.status, 201) << r.body;
    return s;
  }

  std::string WsUrl(const std::string& tenant, const std::string& query = "") {
    return "ws://127.0.0.1:" + std::to_string(syncd_.ws_port()) + "/ws_finwise/ws/" + tenant +
           query;
  }

  // Opens an online connection to `tenant` with `token` in the header.
  ::testing::AssertionResult Connect(test::WsClient& client, const std::string& tenant,
                                     const std::string& token) {
    test::ConnectResult r =
        client.Connect(WsUrl(tenant), Millis(5000), {{"Authorization", "Bearer " + token}});
    if (!r.ok) return ::testing::AssertionFailure() << "status " << r.http_status << r.error;
    if (!client.WaitFor([](const rapidjson::Document& d) {
          return test::GetString(d, "status") == "online";
        })) {
      return ::testing::AssertionFailure() << "no online status";
    }
    return ::testing::AssertionSuccess();
  }

  // Writes one Account entity into `tenant` and waits for its ack.
  void WriteEntity(test::WsClient& client, const std::string& tenant, const std::string& id,
                   const std::string& name) {
    ASSERT_TRUE(client.Send(
        test::AccountEntryJson(tenant, "entry-" + id, id, "create", name, "g", 1, 1700000000000)));
    std::optional<std::string> ack = client.WaitFor([&](const rapidjson::Document& d) {
      return test::GetString(d, "type") == "sync_ack" && test::GetString(d, "id") == "entry-" + id;
    });
    ASSERT_TRUE(ack.has_value()) << "no sync_ack for " << id;
  }

  test::TempDir dir_;
  std::string secret_file_;
  std::string db_;  // "" : a SQLite file in dir_
  test::SyncdProcess syncd_;
};

// Token mode with two instances on one PostgreSQL database (docs/scaling.md):
// what one instance or `syncd user add` writes to the accounts tables is
// honoured by the other at once, and a tenant deleted through one closes
// its connections on the other.
class AuthTwoInstancesTest : public AuthE2eTest {
 protected:
  void SetUp() override {
    AuthE2eTest::SetUp();
    SYNCD_POSTGRES_DATABASE_OR_SKIP(db_);
  }
  void TearDown() override {
    other_.Terminate();
    syncd_.Terminate();
    if (!db_.empty()) test::DropPostgresDatabase(db_);
  }
  void StartBoth() {
    Start({"--instance-id", "auth-a"});
    ASSERT_TRUE(other_.Start({"--db", db_, "--auth", "token", "--jwt-secret-file", secret_file_,
                              "--instance-id", "auth-b"},
                             {}))
        << other_.error();
  }
  HttpReply CallOther(const std::string& method, const std::string& target,
                      const std::string& token) {
    return test::HttpRequest(other_.http_port(), method, target, "", "application/json",
                             Bearer(token));
  }
  std::string OtherWsUrl(const std::string& tenant, const std::string& token) {
    return "ws://127.0.0.1:" + std::to_string(other_.ws_port()) + "/ws_finwise/ws/" + tenant +
           "?access_token=" + token;
  }

  test::SyncdProcess other_;
};

TEST_F(AuthTwoInstancesTest, AccountsWrittenThroughOneInstanceAreHonouredByTheOther) {
  StartBoth();
  // Registered, signed in and given a tenant on A; used on B right away.
  Session a = UserWithTenant("alice", "tenant-a");
  HttpReply status = CallOther("GET", "/api/v1/sync/status/tenant-a", a.access);
  EXPECT_EQ(status.status, 200) << status.body;
  test::WsClient ws;
  test::ConnectResult r = ws.Connect(OtherWsUrl("tenant-a", a.access), Millis(5000));
  ASSERT_TRUE(r.ok) << r.http_status << r.error;
  ASSERT_TRUE(ws.WaitFor(
      [](const rapidjson::Document& d) { return test::GetString(d, "status") == "online"; }));
  // Another user's token is still refused there.
  Session b = UserWithTenant("bob", "tenant-b");
  test::WsClient foreign;
  EXPECT_EQ(foreign.Connect(OtherWsUrl("tenant-a", b.access), Millis(5000)).http_status, 403);

  // An operator made by the binary on the database signs in on B.
  Ran made = RunBinary(
      {"user", "add", "--operator", "--email", "op@example.org", "--name", "Op", "--db", db_},
      "operator-password\n");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(made.err.find("operator-password"), std::string::npos);
  HttpReply login =
      test::HttpRequest(other_.http_port(), "POST", "/login",
                        R"({"username_or_email":"op@example.org","password":"operator-password"})",
                        "application/json", "");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string op = test::GetString(Json(login.body), "accessToken");
  EXPECT_EQ(CallOther("GET", "/api/v1/sync/status/tenant-b", op).status, 200);

  // Deleted through A: B closes its connection and refuses new ones.
  HttpReply del = Call("DELETE", "/tenants/tenant-a/complete?user_id=" + a.user_id, "", a.access);
  ASSERT_EQ(del.status, 200) << del.body;
  ASSERT_TRUE(ws.WaitClosed(Millis(5000)));
  EXPECT_EQ(ws.close_code(), 1000);
  test::WsClient again;
  EXPECT_EQ(again.Connect(OtherWsUrl("tenant-a", a.access), Millis(5000)).http_status, 403);
}

TEST_F(AuthE2eTest, RegisterLoginAndRefreshRotation) {
  Start();
  HttpReply ping = Call("GET", "/ping");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.body, R"({"status":"ok","message":"pong"})");

  HttpReply reg = Call("POST", "/register",
                       R"({"name":"Ann","email":"Ann@Example.org","password":"password-1"})");
  ASSERT_EQ(reg.status, 201) << reg.body;
  rapidjson::Document user = Json(reg.body);
  EXPECT_EQ(test::GetString(user, "email"), "Ann@Example.org");
  EXPECT_TRUE(std::regex_match(test::GetString(user, "createdAt"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_FALSE(user.HasMember("password"));
  EXPECT_EQ(reg.body.find("argon2"), std::string::npos);
  // Emails match case-insensitively; short passwords and bad emails are 400.
  HttpReply twice = Call("POST", "/register",
                         R"({"name":"A2","email":"ann@example.ORG","password":"password-2"})");
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(test::GetString(Json(twice.body)["error"], "code"), "email_taken");
  EXPECT_EQ(
      Call("POST", "/register", R"({"name":"B","email":"b@x.org","password":"short"})").status,
      400);
  EXPECT_EQ(
      Call("POST", "/register", R"({"name":"B","email":"not-an-email","password":"password-1"})")
          .status,
      400);

  // Wrong password and unknown account: the same answer.
  HttpReply wrong =
      Call("POST", "/login", R"({"username_or_email":"ann@example.org","password":"nope-nope"})");
  HttpReply unknown =
      Call("POST", "/login", R"({"username_or_email":"zed@example.org","password":"nope-nope"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(test::GetString(Json(wrong.body)["error"], "code"), "invalid_credentials");

  Session s = Login("ANN@example.org");
  ASSERT_FALSE(s.access.empty());
  HttpReply me = Call("GET", "/users/me", "", s.access);
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(test::GetString(Json(me.body), "uuid"), s.user_id);

  // Rotation: the new pair works, the old refresh token does not; using it
  // again revokes the whole chain, the newest token too.
  HttpReply first = Call("POST", "/token/refresh", R"({"refreshToken":")" + s.refresh + R"("})");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string next = test::GetString(Json(first.body), "refreshToken");
  std::string access = test::GetString(Json(first.body), "accessToken");
  EXPECT_EQ(Call("GET", "/users/me", "", access).status, 200);
  HttpReply reused = Call("POST", "/token/refresh", R"({"refreshToken":")" + s.refresh + R"("})");
  EXPECT_EQ(reused.status, 401);
  EXPECT_EQ(Call("POST", "/token/refresh", R"({"refreshToken":")" + next + R"("})").status, 401);

  // Logout ends that refresh token.
  Session again = Login("ann@example.org");
  EXPECT_EQ(Call("POST", "/logout", R"({"refreshToken":")" + again.refresh + R"("})").status, 204);
  EXPECT_EQ(Call("POST", "/token/refresh", R"({"refreshToken":")" + again.refresh + R"("})").status,
            401);
}

TEST_F(AuthE2eTest, WebSocketTokenInHeaderOrQuery) {
  Start();
  Session a = UserWithTenant("alice", "tenant-a");
  Session b = UserWithTenant("bob", "tenant-b");

  test::WsClient header;
  EXPECT_TRUE(Connect(header, "tenant-a", a.access));
  test::WsClient query;
  EXPECT_TRUE(test::ConnectOnline(query, WsUrl("tenant-a", "?access_token=" + a.access)));

  test::WsClient none;
  EXPECT_EQ(none.Connect(WsUrl("tenant-a")).http_status, 401);
  test::WsClient forged;
  EXPECT_EQ(forged.Connect(WsUrl("tenant-a", "?access_token=" + a.access + "x")).http_status, 401);
  // Bob may not use Alice's tenant, nor one nobody created: the same 403.
  test::WsClient other;
  EXPECT_EQ(other.Connect(WsUrl("tenant-a", "?access_token=" + b.access)).http_status, 403);
  test::WsClient missing;
  EXPECT_EQ(missing.Connect(WsUrl("no-such-tenant", "?access_token=" + b.access)).http_status, 403);
}

TEST_F(AuthE2eTest, AUserCannotReachAnotherUsersTenant) {
  Start();
  Session a = UserWithTenant("alice", "tenant-a");
  Session b = UserWithTenant("bob", "tenant-b");
  test::WsClient bob;
  ASSERT_TRUE(Connect(bob, "tenant-b", b.access));
  WriteEntity(bob, "tenant-b", "acc-1", "BobSecretAccount");

  struct Try {
    const char* method;
    std::string target, body;
  };
  const std::vector<Try> tries = {
      {"GET", "/api/v1/sync/status/tenant-b", ""},
      {"GET", "/api/v1/sync/data-status/tenant-b", ""},
      {"GET", "/api/v1/sync/conflicts/tenant-b", ""},
      {"GET", "/api/v1/sync/entries/tenant-b/entry-acc-1", ""},
      {"POST", "/api/v1/sync/detect-conflicts",
       R"({"tenant_id":"tenant-b","client_checksums":{}})"},
      {"POST", "/api/v1/sync/entries",
       R"({"entries":[)" +
           test::EntryJson("e-x", "tenant-b", "Account", "acc-2", "create", R"({"name":"X"})",
                           1700000000001) +
           "]}"},
      {"GET", "/tenants?user_id=" + b.user_id, ""},
      {"PUT", "/tenants/tenant-b", R"({"name":"Mine now"})"},
      {"POST", "/tenants/tenant-b/reset-database", ""},
      {"DELETE", "/tenants/tenant-b/complete", ""},
      {"PUT", "/users/" + b.user_id, R"({"name":"Mallory"})"},
      {"POST", "/tenants", R"({"uuid":"tenant-c","name":"x","user_id":")" + b.user_id + R"("})"},
  };
  for (const Try& t : tries) {
    HttpReply r = Call(t.method, t.target, t.body, a.access);
    EXPECT_EQ(r.status, 403) << t.method << " " << t.target << ": " << r.body;
    EXPECT_EQ(r.body.find("BobSecretAccount"), std::string::npos);
    EXPECT_EQ(r.body.find("acc-1"), std::string::npos);
  }
  // Alice's own view shows only herself; Bob's data is still there.
  HttpReply users = Call("GET", "/users", "", a.access);
  EXPECT_EQ(users.body.find("bob"), std::string::npos) << users.body;
  HttpReply bobs = Call("GET", "/api/v1/sync/data-status/tenant-b", "", b.access);
  EXPECT_EQ(bobs.status, 200);
  // An entry of Bob's tenant in a batch of Alice's is refused as a whole.
  HttpReply tenants = Call("GET", "/tenants?user_id=" + b.user_id, "", b.access);
  EXPECT_NE(tenants.body.find("tenant-b"), std::string::npos);
}

// Every route of the table that is not open answers 401 without a token,
// so a route added later without a rule fails here.
TEST_F(AuthE2eTest, EveryNonOpenRouteNeedsAToken) {
  Start();
  int checked = 0;
  for (const api::HttpServer::RouteRule& route : api::HttpServer::RouteRules()) {
    std::string target = std::regex_replace(route.path, std::regex(R"(\{[a-z_]+\})"), "x1");
    std::string body = route.method == "GET" || route.method == "DELETE" ? "" : "{}";
    HttpReply r = Call(route.method, target, body);
    if (route.access == auth::Access::kOpen) {
      EXPECT_NE(r.status, 401) << route.method << " " << route.path;
      continue;
    }
    ++checked;
    EXPECT_EQ(r.status, 401) << route.method << " " << route.path << ": " << r.body;
    EXPECT_EQ(r.headers["www-authenticate"], "Bearer") << route.path;
    EXPECT_EQ(test::GetString(Json(r.body)["error"], "code"), "unauthorized") << route.path;
    // A token that does not verify is no token.
    HttpReply forged = Call(route.method, target, body, "e30.e30.e30");
    EXPECT_EQ(forged.status, 401) << route.path;
  }
  EXPECT_GT(checked, 25);
}

// CORS (accounts.md): a preflight answers for every route with its methods
// and the frontend's headers, for an allowed origin only.
TEST_F(AuthE2eTest, EveryRouteAnswersItsPreflight) {
  Start();
  for (const api::HttpServer::RouteRule& route : api::HttpServer::RouteRules()) {
    std::string target = std::regex_replace(route.path, std::regex(R"(\{[a-z_]+\})"), "x1");
    HttpReply ok = test::HttpRequest(
        syncd_.http_port(), "OPTIONS", target, "", "",
        "Origin: http://localhost:5173\r\nAccess-Control-Request-Method: " + route.method +
            "\r\nAccess-Control-Request-Headers: authorization, x-tenant-id\r\n");
    EXPECT_EQ(ok.status, 204) << route.path;
    EXPECT_EQ(ok.headers["access-control-allow-origin"], "http://localhost:5173") << route.path;
    EXPECT_NE(ok.headers["access-control-allow-methods"].find(route.method), std::string::npos)
        << route.method << " " << route.path << ": " << ok.headers["access-control-allow-methods"];
    EXPECT_EQ(ok.headers["access-control-allow-headers"],
              "Content-Type, Authorization, X-Tenant-Id, X-User-Id")
        << route.path;
    EXPECT_EQ(ok.headers["vary"], "Origin") << route.path;
    HttpReply foreign = test::HttpRequest(
        syncd_.http_port(), "OPTIONS", target, "", "",
        "Origin: https://evil.example\r\nAccess-Control-Request-Method: " + route.method + "\r\n");
    EXPECT_EQ(foreign.headers.count("access-control-allow-origin"), 0u) << route.path;
  }
  // A state-changing request from a foreign page changes nothing.
  HttpReply reg =
      test::HttpRequest(syncd_.http_port(), "POST", "/register",
                        R"({"name":"X","email":"x@example.org","password":"password-1"})",
                        "application/json", "Origin: https://evil.example\r\n");
  EXPECT_EQ(reg.status, 403);
  EXPECT_EQ(
      Call("POST", "/login", R"({"username_or_email":"x@example.org","password":"password-1"})")
          .status,
      401);
}

TEST_F(AuthE2eTest, OperatorRoutesRefuseAUserToken) {
  Start();
  // The operator account is made by the binary itself, password on stdin,
  // here while syncd runs on the same database.
  Ran made = RunBinary({"user", "add", "--operator", "--email", "op@example.org", "--name", "Op",
                        "--db", dir_.path() + "/syncd.db"},
                       "operator-password\n");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(made.err.find("operator-password"), std::string::npos);
  Session user = UserWithTenant("alice", "tenant-a");
  Session op = Login("op@example.org", "operator-password");
  int checked = 0;
  for (const api::HttpServer::RouteRule& route : api::HttpServer::RouteRules()) {
    if (route.access != auth::Access::kOperator) continue;
    if (route.path == "/api/v1/events") continue;  // a stream: checked below
    std::string target = std::regex_replace(route.path, std::regex(R"(\{[a-z_]+\})"), "x1");
    std::string body = route.method == "GET" ? "" : "{}";
    HttpReply r = Call(route.method, target, body, user.access);
    EXPECT_EQ(r.status, 403) << route.method << " " << route.path << ": " << r.body;
    HttpReply allowed = Call(route.method, target, body, op.access);
    EXPECT_NE(allowed.status, 403) << route.path;
    EXPECT_NE(allowed.status, 401) << route.path;
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_EQ(Call("GET", "/api/v1/events", "", user.access).status, 403);
  // The operator may use any tenant.
  EXPECT_EQ(Call("GET", "/api/v1/sync/status/tenant-a", "", op.access).status, 200);
  test::WsClient ws;
  EXPECT_TRUE(Connect(ws, "tenant-a", op.access));
  // Operators see every user.
  HttpReply users = Call("GET", "/users", "", op.access);
  EXPECT_NE(users.body.find("alice@example.org"), std::string::npos);
}

// The upgrade accepts a token up to kExpiryLeewayS past its exp (clock
// skew); the connection is then closed when that leeway is over, not at
// once: here a token 27 s past exp is let in and closed about 3 s later.
TEST_F(AuthE2eTest, AnExpiredTokenClosesItsConnectionWhenTheLeewayEnds) {
  Start();
  Session a = UserWithTenant("alice", "tenant-a");
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  const int64_t late_s = auth::kExpiryLeewayS - 3;
  auth::TokenKeys keys;
  keys.hmac_secret = kSecret;
  std::string late =
      auth::IssueAccessToken(keys, a.user_id, auth::Role::kUser, now_s - 60 - late_s, 60);
  ASSERT_FALSE(late.empty());
  const auto opened = std::chrono::steady_clock::now();
  test::WsClient ws;
  ASSERT_TRUE(Connect(ws, "tenant-a", late));
  ASSERT_TRUE(ws.WaitClosed(Millis(15000)));
  const auto open_for = std::chrono::steady_clock::now() - opened;
  EXPECT_EQ(ws.close_code(), 1008);
  EXPECT_EQ(ws.close_reason(), "token expired");
  EXPECT_GE(open_for, std::chrono::milliseconds(1500));
  // Past the leeway the upgrade itself is refused.
  std::string too_late = auth::IssueAccessToken(keys, a.user_id, auth::Role::kUser,
                                                now_s - 60 - auth::kExpiryLeewayS - 5, 60);
  test::WsClient refused;
  EXPECT_EQ(refused.Connect(WsUrl("tenant-a", "?access_token=" + too_late)).http_status, 401);
}

TEST_F(AuthE2eTest, LoginIsThrottledAfterFiveFailures) {
  Start();
  Register("alice", "alice@example.org");
  const std::string wrong = R"({"username_or_email":"alice@example.org","password":"wrong-one"})";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call("POST", "/login", wrong).status, 401) << i;
  HttpReply r = Call("POST", "/login",
                     R"({"username_or_email":"alice@example.org","password":"password-1"})");
  EXPECT_EQ(r.status, 429) << r.body;
  int retry_after = std::atoi(r.headers["retry-after"].c_str());
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 300);
  // The address is blocked too: another account from it.
  Register("bob", "bob@example.org");
  EXPECT_EQ(
      Call("POST", "/login", R"({"username_or_email":"bob@example.org","password":"password-1"})")
          .status,
      429);
}

TEST_F(AuthE2eTest, TenantDeleteRemovesEverythingAndClosesConnections) {
  Start();
  Session a = UserWithTenant("alice", "tenant-a");
  test::WsClient ws;
  ASSERT_TRUE(Connect(ws, "tenant-a", a.access));
  WriteEntity(ws, "tenant-a", "acc-1", "One");
  WriteEntity(ws, "tenant-a", "acc-2", "Two");

  // Reset: the data goes, the tenant and the connection stay.
  HttpReply reset =
      Call("POST", "/tenants/tenant-a/reset-database?user_id=" + a.user_id, "", a.access);
  ASSERT_EQ(reset.status, 200) << reset.body;
  rapidjson::Document counts = Json(reset.body);
  EXPECT_EQ(test::GetInt(counts["deleted"], "entities"), 2);
  EXPECT_EQ(test::GetInt(counts["deleted"], "queue_entries"), 2);
  EXPECT_EQ(test::GetInt(counts["deleted"], "sync_log"), 2);
  HttpReply status = Call("GET", "/api/v1/sync/data-status/tenant-a", "", a.access);
  EXPECT_EQ(status.body.find("acc-1"), std::string::npos);
  WriteEntity(ws, "tenant-a", "acc-3", "Three");

  HttpReply del = Call("DELETE", "/tenants/tenant-a/complete?user_id=" + a.user_id, "", a.access);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(test::GetInt(Json(del.body)["deleted"], "entities"), 1);
  ASSERT_TRUE(ws.WaitClosed(Millis(5000)));
  EXPECT_EQ(ws.close_code(), 1000);
  // The tenant is gone: no longer listed, no longer usable.
  EXPECT_EQ(Call("GET", "/tenants?user_id=" + a.user_id, "", a.access).body, "[]");
  test::WsClient again;
  EXPECT_EQ(again.Connect(WsUrl("tenant-a", "?access_token=" + a.access)).http_status, 403);
}

// A reset also clears the tenant from the statistics: a dead-lettered entry
// (every apply commit fails, one attempt) no longer counts once reset.
TEST_F(AuthE2eTest, ResetClearsTheTenantFromTheStatistics) {
  std::vector<std::string> args = {
      "--db",       dir_.path() + "/syncd.db", "--auth", "token", "--jwt-secret-file",
      secret_file_, "--max-attempts",          "1"};
  ASSERT_TRUE(syncd_.Start(args, {{"SYNCD_FAULT_COMMIT_RATE", "1"}})) << syncd_.error();
  Session a = UserWithTenant("alice", "tenant-a");
  test::WsClient ws;
  ASSERT_TRUE(Connect(ws, "tenant-a", a.access));
  ASSERT_TRUE(ws.Send(test::AccountEntryJson("tenant-a", "entry-1", "acc-1", "create", "One", "g",
                                             1, 1700000000000)));
  ASSERT_TRUE(ws.WaitFor([](const rapidjson::Document& d) {
    return test::GetString(d, "type") == "sync_nack" && test::GetString(d, "id") == "entry-1";
  }));
  HttpReply before = Call("GET", "/api/v1/sync/status/tenant-a", "", a.access);
  EXPECT_EQ(test::GetInt(Json(before.body), "dead"), 1) << before.body;
  HttpReply reset = Call("POST", "/tenants/tenant-a/reset-database", "", a.access);
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(test::GetInt(Json(reset.body)["deleted"], "queue_entries"), 1);
  HttpReply after = Call("GET", "/api/v1/sync/status/tenant-a", "", a.access);
  EXPECT_EQ(test::GetInt(Json(after.body), "dead"), 0) << after.body;
}

// A busy tenant is purged at once (no 409): its entries waiting for a retry
// (every apply commit fails, a long backoff) are NACKed once as a
// non-permanent system_error, its rows and statistics go, and another
// tenant's waiting entry stays as it was.
TEST_F(AuthE2eTest, ResetAndDeleteOfATenantWithEntriesInProgress) {
  std::vector<std::string> args = {"--db",
                                   dir_.path() + "/syncd.db",
                                   "--auth",
                                   "token",
                                   "--jwt-secret-file",
                                   secret_file_,
                                   "--max-attempts",
                                   "100",
                                   "--retry-base-ms",
                                   "60000",
                                   "--retry-max-ms",
                                   "60000"};
  ASSERT_TRUE(syncd_.Start(args, {{"SYNCD_FAULT_COMMIT_RATE", "1"}, {"SYNCD_FAULT_SEED", "7"}}))
      << syncd_.error();
  Session a = UserWithTenant("alice", "tenant-a");
  Session b = UserWithTenant("bob", "tenant-b");
  test::WsClient wa, wb;
  ASSERT_TRUE(Connect(wa, "tenant-a", a.access));
  ASSERT_TRUE(Connect(wb, "tenant-b", b.access));
  ASSERT_TRUE(wa.Send(test::AccountEntryJson("tenant-a", "entry-a1", "acc-1", "create", "One", "g",
                                             1, 1700000000000)));
  ASSERT_TRUE(wb.Send(test::AccountEntryJson("tenant-b", "entry-b1", "acc-1", "create", "One", "g",
                                             1, 1700000000000)));
  auto status_of = [&](const std::string& tenant, const Session& s) {
    return Json(Call("GET", "/api/v1/sync/status/" + tenant, "", s.access).body);
  };
  // Both entries failed their first commit and wait for a retry a minute away.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((test::GetInt(status_of("tenant-a", a), "retry_wait") != 1 ||
          test::GetInt(status_of("tenant-b", b), "retry_wait") != 1) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a condition
  }
  ASSERT_EQ(test::GetInt(status_of("tenant-a", a), "retry_wait"), 1);
  ASSERT_EQ(test::GetInt(status_of("tenant-b", b), "retry_wait"), 1);

  // Reset: 200 at once (it was a 409 while entries were in progress).
  HttpReply reset = Call("POST", "/tenants/tenant-a/reset-database", "", a.access);
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(test::GetInt(Json(reset.body)["deleted"], "queue_entries"), 1);
  std::optional<std::string> nack = wa.WaitFor([](const rapidjson::Document& d) {
    return test::GetString(d, "type") == "sync_nack" && test::GetString(d, "id") == "entry-a1";
  });
  ASSERT_TRUE(nack.has_value());
  rapidjson::Document n = Json(*nack);
  EXPECT_EQ(test::GetString(n, "reason"), "system_error");
  EXPECT_FALSE(n["is_permanent"].GetBool());
  EXPECT_NE(nack->find("tenant reset"), std::string::npos) << *nack;
  rapidjson::Document after = status_of("tenant-a", a);
  EXPECT_EQ(test::GetInt(after, "queue_length"), 0) << reset.body;
  EXPECT_EQ(test::GetInt(after, "retry_wait"), 0);
  // The other tenant's entry still waits; the global depth is its alone.
  EXPECT_EQ(test::GetInt(status_of("tenant-b", b), "retry_wait"), 1);

  // Delete while another entry of the tenant waits: 200, NACKed, closed.
  ASSERT_TRUE(wa.Send(test::AccountEntryJson("tenant-a", "entry-a2", "acc-2", "create", "Two", "g",
                                             1, 1700000000000)));
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (test::GetInt(status_of("tenant-a", a), "retry_wait") != 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  HttpReply del = Call("DELETE", "/tenants/tenant-a/complete", "", a.access);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(test::GetInt(Json(del.body)["deleted"], "queue_entries"), 1);
  std::vector<std::string> skipped;
  std::optional<std::string> deleted = wa.WaitFor(
      [](const rapidjson::Document& d) {
        return test::GetString(d, "type") == "sync_nack" && test::GetString(d, "id") == "entry-a2";
      },
      Millis(5000), &skipped);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_NE(deleted->find("tenant deleted"), std::string::npos) << *deleted;
  ASSERT_TRUE(wa.WaitClosed(Millis(5000)));
  EXPECT_EQ(wa.close_code(), 1000);
  // entry-a1 was answered once, by the reset.
  for (const std::string& frame : skipped) {
    EXPECT_EQ(frame.find("entry-a1"), std::string::npos) << frame;
  }
  EXPECT_EQ(test::GetInt(status_of("tenant-b", b), "retry_wait"), 1);
  EXPECT_FALSE(wb.closed());
}

TEST_F(AuthE2eTest, TokenModeRefusesToStartWithoutAKey) {
  Ran no_key = RunBinary({"--auth", "token", "--db", dir_.path() + "/x.db"}, "");
  EXPECT_EQ(no_key.exit_code, 2);
  EXPECT_EQ(std::count(no_key.err.begin(), no_key.err.end(), '\n'), 1) << no_key.err;
  // A non-loopback host defaults to token mode.
  Ran public_host = RunBinary({"--host", "0.0.0.0", "--db", dir_.path() + "/x.db"}, "");
  EXPECT_EQ(public_host.exit_code, 2) << public_host.err;
  EXPECT_NE(public_host.err.find("token"), std::string::npos) << public_host.err;
  // A short secret is refused without being shown.
  Ran short_secret = RunBinary({"--auth", "token", "--db", dir_.path() + "/x.db"}, "",
                               {{"SYNCD_JWT_SECRET", "tiny-secret-value"}});
  EXPECT_EQ(short_secret.exit_code, 2);
  EXPECT_EQ(short_secret.err.find("tiny-secret-value"), std::string::npos) << short_secret.err;
  // The secret passed where its file's path goes is not echoed either.
  Ran secret_as_path = RunBinary(
      {"--auth", "token", "--db", dir_.path() + "/x.db", "--jwt-secret-file", kSecret}, "");
  EXPECT_EQ(secret_as_path.exit_code, 2);
  EXPECT_NE(secret_as_path.err.find("--jwt-secret-file"), std::string::npos) << secret_as_path.err;
  EXPECT_EQ(secret_as_path.err.find(kSecret), std::string::npos) << secret_as_path.err;
  Ran secret_in_env = RunBinary({"--auth", "token", "--db", dir_.path() + "/x.db"}, "",
                                {{"SYNCD_JWT_SECRET_FILE", kSecret}});
  EXPECT_EQ(secret_in_env.exit_code, 2);
  EXPECT_EQ(secret_in_env.err.find(kSecret), std::string::npos) << secret_in_env.err;
  Ran help = RunBinary({"--help"}, "", {{"SYNCD_JWT_SECRET", kSecret}});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.find(kSecret), std::string::npos);
}

TEST_F(AuthE2eTest, SecretsNeverReachTheLog) {
  Start();
  Session a = UserWithTenant("alice", "tenant-a");
  test::WsClient ws;
  ASSERT_TRUE(test::ConnectOnline(ws, WsUrl("tenant-a", "?access_token=" + a.access)));
  Call("POST", "/login", R"({"username_or_email":"alice@example.org","password":"bad-password"})");
  ws.Close();
  ASSERT_EQ(syncd_.Terminate(), 0);
  const std::string log = syncd_.stderr_text();
  EXPECT_NE(log.find("auth mode token"), std::string::npos) << log;
  for (const std::string& secret : {std::string(kSecret), a.access, a.refresh,
                                    std::string("password-1"), std::string("bad-password")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "a secret in the log";
  }
}

// DNS rebinding (security.md): in none mode a page on a name that resolves
// to 127.0.0.1 is same-origin for the browser and sends no Origin; its Host
// names it. Only loopback names, --host and --allowed-hosts are served, on
// both ports; token mode checks no Host.
TEST_F(AuthE2eTest, NoneModeServesOnlyItsOwnHostNames) {
  ASSERT_TRUE(syncd_.Start(
      {"--db", dir_.path() + "/syncd.db", "--auth", "none", "--allowed-hosts", "sync.lan"}, {}))
      << syncd_.error();
  auto get = [&](int port, const std::string& target, const std::string& host) {
    return test::RawExchange(
        port, "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
  };
  for (const std::string target : {"/users", "/api/v1/stats", "/nope", "/api/v1/sync/status/t1"}) {
    HttpReply rebound = get(syncd_.http_port(), target, "evil.example:8000");
    EXPECT_EQ(rebound.status, 403) << target << ": " << rebound.body;
    EXPECT_EQ(test::GetString(Json(rebound.body)["error"], "code"), "forbidden_host") << target;
  }
  EXPECT_EQ(get(syncd_.http_port(), "/users", "127.0.0.1.nip.io").status, 403);
  EXPECT_EQ(get(syncd_.http_port(), "/users", "localhost.evil.example").status, 403);
  for (const std::string host :
       {"127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000", "127.0.0.2", "sync.lan:8000"}) {
    EXPECT_EQ(get(syncd_.http_port(), "/users", host).status, 200) << host;
  }
  // HTTP/1.0 without Host: no browser sends that.
  EXPECT_EQ(test::RawExchange(syncd_.http_port(), "GET /users HTTP/1.0\r\n\r\n").status, 200);

  const std::string upgrade =
      "GET /ws_finwise/ws/t1 HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nHost: ";
  HttpReply ws_rebound = test::RawExchange(syncd_.ws_port(), upgrade + "evil.example:8001\r\n\r\n");
  EXPECT_EQ(ws_rebound.status, 403) << ws_rebound.body;
  EXPECT_EQ(test::GetString(Json(ws_rebound.body)["error"], "code"), "forbidden_host");
  EXPECT_EQ(get(syncd_.ws_port(), "/health", "evil.example").status, 403);
  EXPECT_EQ(get(syncd_.ws_port(), "/health", "localhost:8001").status, 200);
  test::WsClient ws;
  EXPECT_TRUE(test::ConnectOnline(ws, WsUrl("t1")));
  test::WsClient by_name;
  EXPECT_TRUE(test::ConnectOnline(
      by_name, "ws://localhost:" + std::to_string(syncd_.ws_port()) + "/ws_finwise/ws/t1"));
}

TEST_F(AuthE2eTest, TokenModeChecksNoHost) {
  Start();
  HttpReply r = test::RawExchange(syncd_.http_port(),
                                  "GET /ping HTTP/1.1\r\nHost: sync.example.com\r\n"
                                  "Connection: close\r\n\r\n");
  EXPECT_EQ(r.status, 200) << r.body;
}

// Data written in none mode under a tenant id nobody created is not for the
// first user who claims the id in token mode: 409 tenant_has_data; an
// operator creates the tenant for its owner (accounts.md, migration).
TEST_F(AuthE2eTest, LegacyTenantDataIsNotForTheFirstClaimant) {
  {
    test::SyncdProcess legacy;
    ASSERT_TRUE(legacy.Start({"--db", dir_.path() + "/syncd.db", "--auth", "none"}, {}))
        << legacy.error();
    test::WsClient ws;
    ASSERT_TRUE(test::ConnectOnline(
        ws, "ws://127.0.0.1:" + std::to_string(legacy.ws_port()) + "/ws_finwise/ws/legacy-tenant"));
    WriteEntity(ws, "legacy-tenant", "acc-1", "OldSecretAccount");
    ws.Close();
    ASSERT_EQ(legacy.Terminate(), 0);
  }
  Start();
  ASSERT_EQ(RunBinary({"user", "add", "--operator", "--email", "op@example.org", "--name", "Op",
                       "--db", dir_.path() + "/syncd.db"},
                      "operator-password\n")
                .exit_code,
            0);
  Register("mallory", "mallory@example.org");
  Session m = Login("mallory@example.org");
  HttpReply claim =
      Call("POST", "/tenants",
           R"({"uuid":"legacy-tenant","name":"Mine","user_id":")" + m.user_id + R"("})", m.access);
  EXPECT_EQ(claim.status, 409) << claim.body;
  EXPECT_EQ(test::GetString(Json(claim.body)["error"], "code"), "tenant_has_data");
  EXPECT_EQ(Call("GET", "/api/v1/sync/data-status/legacy-tenant", "", m.access).status, 403);
  // A fresh id is still anyone's to create.
  EXPECT_EQ(Call("POST", "/tenants",
                 R"({"uuid":"new-tenant","name":"New","user_id":")" + m.user_id + R"("})", m.access)
                .status,
            201);

  // The operator hands the data to its owner.
  Register("alice", "alice@example.org");
  Session a = Login("alice@example.org");
  Session op = Login("op@example.org", "operator-password");
  HttpReply given =
      Call("POST", "/tenants",
           R"({"uuid":"legacy-tenant","name":"Home","user_id":")" + a.user_id + R"("})", op.access);
  EXPECT_EQ(given.status, 201) << given.body;
  HttpReply mine = Call("GET", "/api/v1/sync/data-status/legacy-tenant", "", a.access);
  EXPECT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(
      Call("POST", "/tenants",
           R"({"uuid":"legacy-tenant","name":"Home","user_id":")" + a.user_id + R"("})", a.access)
          .status,
      200);
}

// In none mode anyone local may edit ordinary users (the frontend does),
// but an operator's email and password need an operator token in every
// mode; a password change ends the user's refresh tokens.
TEST_F(AuthE2eTest, AnOperatorsCredentialsNeedAnOperatorToken) {
  ASSERT_TRUE(syncd_.Start({"--db", dir_.path() + "/syncd.db", "--auth", "none"}, {}))
      << syncd_.error();
  ASSERT_EQ(RunBinary({"user", "add", "--operator", "--email", "op@example.org", "--name", "Op",
                       "--db", dir_.path() + "/syncd.db"},
                      "operator-password\n")
                .exit_code,
            0);
  Register("alice", "alice@example.org");
  Session a = Login("alice@example.org");
  Session op = Login("op@example.org", "operator-password");
  ASSERT_FALSE(op.user_id.empty());
  const std::string target = "/users/" + op.user_id;
  HttpReply anonymous = Call("PUT", target, R"({"password":"taken-over-1"})");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_EQ(Call("PUT", target, R"({"email":"mallory@example.org"})").status, 401);
  EXPECT_EQ(Call("PUT", target, R"({"password":"taken-over-1"})", a.access).status, 403);
  HttpReply still = Call(
      "POST", "/login", R"({"username_or_email":"op@example.org","password":"operator-password"})");
  EXPECT_EQ(still.status, 200) << still.body;
  // Renaming stays open; an operator token changes the password.
  EXPECT_EQ(Call("PUT", target, R"({"name":"Operator"})").status, 200);
  EXPECT_EQ(Call("PUT", target, R"({"password":"new-operator-password"})", op.access).status, 200);
  EXPECT_EQ(Call("POST", "/token/refresh", R"({"refreshToken":")" + op.refresh + R"("})").status,
            401);
  Login("op@example.org", "new-operator-password");

  // An ordinary user: editable without a token, as the frontend expects;
  // the password change ends its refresh tokens.
  HttpReply edited = Call("PUT", "/users/" + a.user_id, R"({"password":"password-2"})");
  EXPECT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(Call("POST", "/token/refresh", R"({"refreshToken":")" + a.refresh + R"("})").status,
            401);
  Login("alice@example.org", "password-2");
}

// The account's 5 tries are the user's, whether the login names it by name
// or by email, and from whichever address.
TEST_F(AuthE2eTest, LoginThrottleCountsByUserWhateverTheLoginSays) {
  Start();
  Register("alice", "alice@example.org");
  const std::string by_email =
      R"({"username_or_email":"alice@example.org","password":"wrong-one"})";
  const std::string by_name = R"({"username_or_email":"ALICE","password":"wrong-one"})";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(CallFrom(syncd_.http_port(), "127.0.0.2", "POST", "/login", by_email).status, 401);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(CallFrom(syncd_.http_port(), "127.0.0.3", "POST", "/login", by_name).status, 401);
  }
  HttpReply r = CallFrom(syncd_.http_port(), "127.0.0.4", "POST", "/login",
                         R"({"username_or_email":"alice","password":"password-1"})");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_GT(std::atoi(r.headers["retry-after"].c_str()), 0);
}

// An account pushed without a password (POST /users) answers a login as
// slowly as an unknown one: the time does not tell that it exists.
TEST_F(AuthE2eTest, AnAccountWithoutAPasswordTakesAnUnknownAccountsTime) {
  ASSERT_TRUE(syncd_.Start({"--db", dir_.path() + "/syncd.db", "--auth", "none"}, {}))
      << syncd_.error();
  ASSERT_EQ(Call("POST", "/users", R"({"uuid":"u-pushed","name":"Pushed","email":"p@example.org"})")
                .status,
            201);
  auto fastest = [&](const std::string& login) {
    auto best = std::chrono::steady_clock::duration::max();
    for (int i = 0; i < 2; ++i) {
      auto start = std::chrono::steady_clock::now();
      HttpReply r = Call("POST", "/login",
                         R"({"username_or_email":")" + login + R"(","password":"some-guess"})");
      best = std::min(best, std::chrono::steady_clock::now() - start);
      EXPECT_EQ(r.status, 401) << r.body;
    }
    return best;
  };
  auto unknown = fastest("nobody@example.org");
  auto pushed = fastest("p@example.org");
  // An Argon2id verification (19 MiB) takes tens of milliseconds; an
  // answer without one a fraction of a millisecond.
  EXPECT_GE(pushed * 4, unknown) << "pushed " << std::chrono::duration_cast<Millis>(pushed).count()
                                 << " ms, unknown "
                                 << std::chrono::duration_cast<Millis>(unknown).count() << " ms";
}

// Each registration costs an Argon2id hash: 10 per client address per 10
// minutes, then 429 with Retry-After.
TEST_F(AuthE2eTest, RegistrationIsThrottledPerAddress) {
  Start();
  for (int i = 0; i < 10; ++i) {
    HttpReply r = CallFrom(syncd_.http_port(), "127.0.0.5", "POST", "/register",
                           R"({"name":"u)" + std::to_string(i) + R"(","email":"u)" +
                               std::to_string(i) + R"(@example.org","password":"password-1"})");
    EXPECT_EQ(r.status, 201) << i << ": " << r.body;
  }
  HttpReply over = CallFrom(syncd_.http_port(), "127.0.0.5", "POST", "/register",
                            R"({"name":"x","email":"x@example.org","password":"password-1"})");
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_EQ(test::GetString(Json(over.body)["error"], "code"), "too_many_requests");
  int retry_after = std::atoi(over.headers["retry-after"].c_str());
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 600);
  // Another address is not affected.
  EXPECT_EQ(
      Call("POST", "/register", R"({"name":"y","email":"y@example.org","password":"password-1"})")
          .status,
      201);
}

// Token mode with only an external provider's key: syncd signs nobody in,
// and says so instead of a 500.
TEST_F(AuthE2eTest, OnlyAnExternalKeyDisablesLocalAccounts) {
  const std::string key_file = dir_.path() + "/idp.pem";
  std::ofstream(key_file) << kExternalPublicKey;
  ASSERT_TRUE(syncd_.Start(
      {"--db", dir_.path() + "/syncd.db", "--auth", "token", "--jwt-public-key-file", key_file},
      {}))
      << syncd_.error();
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/register", R"({"name":"a","email":"a@example.org","password":"password-1"})"},
           {"/login", R"({"username_or_email":"a@example.org","password":"password-1"})"},
           {"/token/refresh", R"({"refreshToken":"abc"})"}}) {
    HttpReply r = Call("POST", target, body);
    EXPECT_EQ(r.status, 501) << target << ": " << r.body;
    EXPECT_EQ(test::GetString(Json(r.body)["error"], "code"), "local_accounts_disabled") << target;
  }
}

// POST /token/refresh's 401 speaks of the refresh token.
TEST_F(AuthE2eTest, ARefusedRefreshTokenIsNamedAsSuch) {
  Start();
  HttpReply r = Call("POST", "/token/refresh", R"({"refreshToken":"not-a-token"})");
  EXPECT_EQ(r.status, 401);
  std::string message = test::GetString(Json(r.body)["error"], "message");
  EXPECT_NE(message.find("refresh token"), std::string::npos) << message;
  EXPECT_EQ(message.find("access token"), std::string::npos) << message;
}

// `syncd user add` applies /register's rules: the email must look like one,
// the password's 8 are characters (not bytes).
TEST_F(AuthE2eTest, UserAddChecksTheAccountLikeRegister) {
  const std::string db = dir_.path() + "/syncd.db";
  Ran bad_email = RunBinary(
      {"user", "add", "--operator", "--email", "not-an-email", "--name", "Op", "--db", db},
      "operator-password\n");
  EXPECT_EQ(bad_email.exit_code, 2) << bad_email.err;
  EXPECT_NE(bad_email.err.find("email"), std::string::npos) << bad_email.err;
  // Seven characters in fourteen bytes: too short.
  Ran short_pw = RunBinary(
      {"user", "add", "--operator", "--email", "op@example.org", "--name", "Op", "--db", db},
      "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa4\n");
  EXPECT_EQ(short_pw.exit_code, 1) << short_pw.err;
  // Eight characters in more bytes: fine.
  Ran eight = RunBinary(
      {"user", "add", "--operator", "--email", "op@example.org", "--name", "Op", "--db", db},
      "p\xc3\xa4sswo\xc3\xb6rd\n");
  EXPECT_EQ(eight.exit_code, 0) << eight.err;
}

// On a terminal the typed password is not echoed.
TEST_F(AuthE2eTest, UserAddDoesNotEchoThePasswordOnATerminal) {
  const std::string password = "typed-operator-password";
  std::vector<std::string> all = {
      SYNCD_BINARY,     "user",   "add", "--operator", "--email",
      "op@example.org", "--name", "Op",  "--db",       dir_.path() + "/syncd.db"};
  std::vector<char*> argv = test::ExecPointers(all);
  std::vector<std::string> env_strings = test::ChildEnvironment({});
  std::vector<char*> envp = test::ExecPointers(env_strings);
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  // Everything the terminal shows, until the program ends (EIO or EOF).
  std::string shown;
  auto read_some = [&](int timeout_ms) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[512];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) return false;
    shown.append(buf, static_cast<size_t>(n));
    return true;
  };
  // Type once the prompt is up (a syncd that prints none gets it after 5 s).
  while (shown.find("Password") == std::string::npos && read_some(5000)) {
  }
  std::string line = password + "\n";
  ASSERT_EQ(write(master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  while (read_some(30000)) {
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << shown;
  EXPECT_EQ(shown.find(password), std::string::npos) << shown;
  EXPECT_NE(shown.find("operator op@example.org created"), std::string::npos) << shown;
}

}  // namespace
}  // namespace syncd::e2e
