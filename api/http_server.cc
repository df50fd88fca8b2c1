// The Pistache wiring: routes from RouteTable(), the checks every route shares
// (503 while stopping, 403 for a POST from a browser origin not allowed, 415,
// 413, exceptions → 500), CORS, JSON 404/405, answers sent later for handlers
// that wait (ApiResponse::deferred), and a Stop() that waits for handlers and
// answers still running, and the Server-Sent Events streams of
// GET /api/v1/events (event_streams.h). With http_connection.cc and
// event_streams.cc, the only code that knows Pistache.
#include "syncd/api/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/router.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "event_streams.h"
#include "handlers.h"
#include "http_connection.h"
#include "syncd/auth/tokens.h"
#include "syncd/common/clock.h"
#include "syncd/common/percent_decoding.h"
#include "syncd/domain/identifier.h"

namespace syncd::api {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

// What Pistache buffers of one request: the body limit plus room for the
// request line and headers. A declared Content-Length over the body limit is
// refused before its body arrives (http_connection.cc); this bounds the rest
// (chunked bodies, endless headers), answered with the JSON 413 too.
size_t HardRequestCap(int64_t max_body_bytes) {
  return static_cast<size_t>(max_body_bytes) + size_t{64} * 1024;
}

std::chrono::milliseconds HeaderTimeout(const HttpOptions& options) {
  return std::chrono::milliseconds(std::max(1, options.header_timeout_ms));
}

// Pistache's own header timeout, after ours: it answers with an empty body.
constexpr auto kPistacheTimeoutLag = std::chrono::seconds(5);

// What a browser may send on a preflighted request (accounts.md, CORS).
constexpr const char* kCorsAllowHeaders = "Content-Type, Authorization, X-Tenant-Id, X-User-Id";

// `Vary: Origin`: Pistache 0.0.5 has no typed Vary header, and it writes
// only typed headers into answers.
class VaryHeader : public Http::Header::Header {
 public:
  NAME("Vary")
  VaryHeader() = default;
  explicit VaryHeader(std::string value) : value_(std::move(value)) {}
  void parse(const std::string& data) override { value_ = data; }
  void write(std::ostream& os) const override { os << value_; }

 private:
  std::string value_;
};

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// "/a/{x}" matches "/a/anything" (one non-empty segment per parameter).
bool PathMatches(std::string_view pattern, std::string_view path) {
  std::vector<std::string_view> p = Segments(pattern), s = Segments(path);
  if (p.size() != s.size()) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i].front() != '{' && p[i] != s[i]) return false;
  }
  return true;
}

// openapi "/a/{x}" -> Pistache "/a/:x".
std::string PistachePath(std::string_view pattern) {
  std::string out;
  for (char c : pattern) {
    if (c == '{') {
      out.push_back(':');
    } else if (c != '}') {
      out.push_back(c);
    }
  }
  return out;
}

bool IsJsonContentType(const Http::Request& req) {
  auto ct = req.headers().tryGet<Http::Header::ContentType>();
  if (!ct) return true;  // no Content-Type at all is read as JSON (openapi.yaml)
  const Pistache::Http::Mime::MediaType& mime = ct->mime();
  return mime.top() == Http::Mime::Type::Application && mime.sub() == Http::Mime::Subtype::Json;
}

// Answers not yet written to their socket. Pistache queues every write for
// its reactor, so a handler returning does not mean its answer went out.
// Shared with the write callbacks, which may outlive nothing but this.
class PendingWrites {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++pending_;
  }
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) cv_.notify_all();
  }
  void WaitZero(std::chrono::steady_clock::duration limit) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, limit, [&] { return pending_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_ = 0;
};

// A header by name and value (Location, Cache-Control of the console's
// files): Pistache writes only typed headers into a response.
class NamedHeader final : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return std::hash<std::string>()(name_); }
#endif

 private:
  std::string name_, value_;
};

// `allow_origin`: the Access-Control-Allow-Origin to send ("" for none).
void Send(Http::ResponseWriter& resp, const ApiResponse& out, const std::string& allow_origin,
          const std::shared_ptr<PendingWrites>& writes) {
  if (!out.allow.empty() && out.status == 405) {  // Pistache writes only its typed Allow header
    std::vector<Http::Method> methods;
    if (out.allow.find("GET") != std::string::npos) methods.push_back(Http::Method::Get);
    if (out.allow.find("POST") != std::string::npos) methods.push_back(Http::Method::Post);
    if (out.allow.find("PUT") != std::string::npos) methods.push_back(Http::Method::Put);
    if (out.allow.find("DELETE") != std::string::npos) methods.push_back(Http::Method::Delete);
    resp.headers().add<Http::Header::Allow>(methods);
  }
  // The frontend runs in a browser on another origin (port): let the
  // allowed ones read us. The answer differs by Origin, so caches must know.
  resp.headers().add<VaryHeader>("Origin");
  if (!allow_origin.empty()) {
    resp.headers().add<Http::Header::AccessControlAllowOrigin>(allow_origin);
    if (out.status == 204) {
      resp.headers().add<Http::Header::AccessControlAllowMethods>(out.allow);
      resp.headers().add<Http::Header::AccessControlAllowHeaders>(kCorsAllowHeaders);
    }
  }
  for (const auto& [name, value] : out.headers) {
    resp.headers().add(std::make_shared<NamedHeader>(name, value));
  }
  writes->Add();
  try {
    resp.send(static_cast<Http::Code>(out.status), out.body,
              Http::Mime::MediaType::fromString(out.content_type))
        .then([writes](ssize_t) { writes->Done(); },
              [writes](std::exception_ptr) { writes->Done(); });
  } catch (const std::exception&) {  // the client left before a later answer
    writes->Done();
  }
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads, WsInfo ws) {
    ctx_.options = std::move(options);
    ctx_.pipeline = pipeline;
    ctx_.reads = reads;
    ctx_.ws = std::move(ws);
    ctx_.started_us = common::MonotonicMicros();
    pipeline->AddSink(&ctx_.waiters);
  }

  ~Impl() { Stop(); }

  common::Status Start() {
    try {
      Pistache::Address address(ctx_.options.host,
                                Pistache::Port(static_cast<uint16_t>(ctx_.options.port)));
      endpoint_ = std::make_unique<Http::Endpoint>(address);
      endpoint_->init(
          Http::Endpoint::options()
              .threads(std::max(1, ctx_.options.threads))
              .maxRequestSize(HardRequestCap(ctx_.options.max_body_bytes))
              // A backstop: http_connection.cc answers the JSON 408 first.
              .headerTimeout(HeaderTimeout(ctx_.options) + kPistacheTimeoutLag)
              .bodyTimeout(HeaderTimeout(ctx_.options) + kPistacheTimeoutLag)
              .keepaliveTimeout(std::chrono::milliseconds(ctx_.options.keepalive_timeout_ms))
              .flags(Pistache::Tcp::Options::ReuseAddr));
      Rest::Router router;
      for (const RouteSpec& spec : RouteTable()) {
        Rest::Route::Handler h = [this, &spec](const Rest::Request& req,
                                               Http::ResponseWriter resp) {
          Serve(spec, req, resp);
          return Rest::Route::Result::Ok;
        };
        std::string path = PistachePath(spec.path);
        const std::string_view method = spec.method;
        if (method == "POST") {
          Rest::Routes::Post(router, path, h);
        } else if (method == "PUT") {
          Rest::Routes::Put(router, path, h);
        } else if (method == "DELETE") {
          Rest::Routes::Delete(router, path, h);
        } else {
          Rest::Routes::Get(router, path, h);
        }
      }
      // Runs when no route matched the method and path, before Pistache's own
      // plain-text 405; the not-found handler is the same, should it be reached.
      Rest::Route::Handler unrouted = [this](const Rest::Request& req, Http::ResponseWriter resp) {
        ServeUnrouted(req, resp);
        return Rest::Route::Result::Ok;
      };
      router.addCustomHandler(unrouted);
      router.addNotFoundHandler(unrouted);
      ConnectionLimits limits;
      limits.max_connections = std::max(1, ctx_.options.max_connections);
      limits.max_body_bytes = static_cast<size_t>(ctx_.options.max_body_bytes);
      limits.header_timeout = HeaderTimeout(ctx_.options);
      endpoint_->setHandler(MakeConnectionHandler(router, limits, open_connections_));
      endpoint_->serveThreaded();
      port_ = static_cast<uint16_t>(endpoint_->getPort());
    } catch (const std::exception& e) {
      endpoint_.reset();
      return common::Status::Permanent("http server on " + ctx_.options.host + ":" +
                                       std::to_string(ctx_.options.port) + ": " + e.what());
    }
    ctx_.http_up = true;
    return common::Status::Ok();
  }

  int port() const { return port_; }

  void UseAccounts(db::AccountStore* accounts, auth::Directory* directory, AuthOptions auth,
                   TenantClosedFn tenant_closed) {
    ctx_.accounts = accounts;
    ctx_.directory = directory;
    ctx_.auth = std::move(auth);
    ctx_.tenant_closed = std::move(tenant_closed);
  }

  void UseConsoleStore(db::ConsoleStore* store, TenantConnectionsFn tenant_connections) {
    ctx_.console_store = store;
    ctx_.tenant_connections = std::move(tenant_connections);
    StartConsole(ctx_);
  }

  void BeginShutdown() { ctx_.shutting_down = true; }

  void Stop() {
    ctx_.shutting_down = true;
    // Waiting POSTs answer now (entries `pending`, operator actions 503), on
    // the waiters' thread, before Shutdown() returns.
    ctx_.waiters.Shutdown();
    // Event streams never end on their own: end them (the last chunk, then
    // the connection is shut) while the reactors still run, so clients see a
    // clean end; waits at most EventStreams::kCloseWait.
    streams_.CloseAll();
    // Let running handlers send their answers while the reactor still runs
    // (new requests get a quick 503), then stop it. Pistache's shutdown() can
    // return while a handler still runs, so wait again before the state goes.
    WaitIdle(std::chrono::seconds(kDrainSeconds));
    writes_->WaitZero(std::chrono::seconds(2));
    if (endpoint_) endpoint_->shutdown();
    WaitIdle(std::chrono::hours(1));
    ctx_.http_up = false;
    endpoint_.reset();
  }

 private:
  // Handlers no longer wait for the pipeline, but a database read may be slow.
  static constexpr int kDrainSeconds = 12;

  void WaitIdle(std::chrono::steady_clock::duration limit) {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait_for(lock, limit, [&] { return in_flight_ == 0; });
  }

  // Counts a running handler or an answer still to come, so Stop() can wait for it.
  class InFlight {
   public:
    explicit InFlight(Impl* impl) : impl_(impl) {
      std::lock_guard<std::mutex> lock(impl_->mu_);
      ++impl_->in_flight_;
    }
    ~InFlight() {
      std::lock_guard<std::mutex> lock(impl_->mu_);
      if (--impl_->in_flight_ == 0) impl_->idle_.notify_all();
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    Impl* impl_;
  };

  void Serve(const RouteSpec& spec, const Rest::Request& req, Http::ResponseWriter& resp) {
    auto counted = std::make_shared<InFlight>(this);
    std::string allow_origin;
    bool foreign_origin = false;  // from a browser page whose origin is not allowed
    Cors(req, &allow_origin, &foreign_origin);
    ApiResponse out;
    try {
      ApiRequest request;
      std::string bad_url;
      if (!HostAllowed(req)) {
        out = ForbiddenHost();
      } else if (ctx_.shutting_down && !spec.answers_shutdown) {
        out = ErrorResponse(ApiError::kShuttingDown, "server is shutting down");
      } else if (foreign_origin && std::string_view(spec.method) != "GET") {
        // A page on another site can send a simple POST without a preflight;
        // it must not change anything even though it could not read the answer.
        out = ErrorResponse(ApiError::kForbiddenOrigin, "this Origin may not use the API");
      } else if (!Decode(spec, req, &request, &bad_url)) {
        if (std::string_view(spec.path).find("{file}") != std::string_view::npos) {
          // A console file name that is no identifier (a '/', '%2f', a
          // control character) names no file: 404 like any other.
          out = ErrorResponse(ApiError::kNotFound, "no such file");
        } else {
          out = ErrorResponse(ApiError::kValidation, bad_url);
        }
      } else if (auth::Decision d = Authorize(spec, req, &request); d != auth::Decision::kAllow) {
        out = DecisionResponse(d);
      } else if (spec.json_body && !IsJsonContentType(req)) {
        out =
            ErrorResponse(ApiError::kUnsupportedMediaType, "Content-Type must be application/json");
      } else if (spec.json_body &&
                 static_cast<int64_t>(req.body().size()) > ctx_.options.max_body_bytes) {
        out = ErrorResponse(
            ApiError::kTooLarge,
            "body larger than " + std::to_string(ctx_.options.max_body_bytes) + " bytes");
      } else {
        out = spec.handler(ctx_, request);
      }
    } catch (const std::exception& e) {
      out = ErrorResponse(ApiError::kInternal, e.what());
    }
    if (out.event_stream && out.status == 200) {
      OpenEventStream(resp, out, allow_origin);
      return;
    }
    if (!out.deferred) {
      Send(resp, out, allow_origin, writes_);
      return;
    }
    // The handler answers later, from the waiters' thread: keep the writer
    // (it only holds the peer weakly) and this request counted until then.
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(resp));
    auto writes = writes_;
    Reply reply = [writer, writes, allow_origin, counted](const ApiResponse& later) {
      Send(*writer, later, allow_origin, writes);
    };
    try {
      out.deferred(std::move(reply));
    } catch (const std::exception& e) {
      Send(*writer, ErrorResponse(ApiError::kInternal, e.what()), allow_origin, writes_);
    }
  }

  // GET /api/v1/events: the headers and the first event now, on this
  // Pistache thread; then the stream belongs to streams_ (its thread writes
  // every 2 s). The connection holds one of the --max-connections places
  // while the stream is open; the peer data kEventStreamKey keeps Pistache's
  // keep-alive timeout from cutting it (http_connection.cc).
  void OpenEventStream(Http::ResponseWriter& resp, const ApiResponse& out,
                       const std::string& allow_origin) {
    resp.headers().add<VaryHeader>("Origin");
    if (!allow_origin.empty()) {
      resp.headers().add<Http::Header::AccessControlAllowOrigin>(allow_origin);
    }
    resp.headers().add(std::make_shared<NamedHeader>("Content-Type", "text/event-stream"));
    resp.headers().add(std::make_shared<NamedHeader>("Cache-Control", "no-cache"));
    resp.headers().add(std::make_shared<NamedHeader>("X-Accel-Buffering", "no"));
    try {
      std::shared_ptr<Pistache::Tcp::Peer> peer = resp.peer();
      peer->putData(kEventStreamKey, std::make_shared<bool>(true));
      // On this (the transport's) thread ResponseStream::flush is safe.
      Http::ResponseStream stream = resp.stream(Http::Code::Ok);
      std::string first =
          "retry: " + std::to_string(EventStreams::kRetryMs) + "\n" + EventStreams::Event(out.body);
      stream.write(first.data(), static_cast<std::streamsize>(first.size()));
      stream.flush();
      streams_.Add(peer);
    } catch (const std::exception&) {  // the client left already
    }
  }

  // Reads the caller from `Authorization: Bearer` (any mode: /users/me
  // needs it in none mode too) and, in token mode, applies the route's rule
  // (accounts.md, Access rules). A token of a user that no longer exists
  // names no caller. Tenants named in the body are read only from a JSON
  // body within the size limit; the handler refuses anything else anyway.
  auth::Decision Authorize(const RouteSpec& spec, const Rest::Request& req, ApiRequest* request) {
    request->client_address = req.address().host();
    std::string token;
    if (auto header = request->headers.find("authorization"); header != request->headers.end()) {
      token = auth::BearerToken(header->second);
    } else if (std::string_view(spec.path) == "/api/v1/events") {
      // EventSource cannot set headers: the console's stream sends its token
      // in the query (as WebSocket upgrades may); query strings are not logged.
      auto param = request->query.find("access_token");
      if (param != request->query.end()) token = param->second;
    }
    {
      auth::Principal caller;
      if (!token.empty() && auth::VerifyAccessToken(ctx_.auth.keys, token, NowEpochMs() / 1000,
                                                    &caller) == auth::TokenError::kNone) {
        if (!caller.external) RefreshMissingUser(ctx_, caller.user_id);
        if (caller.external) {
          request->caller = std::move(caller);
        } else if (std::optional<auth::Role> role = ctx_.directory != nullptr
                                                        ? ctx_.directory->UserRole(caller.user_id)
                                                        : std::nullopt) {
          caller.role = *role;  // the stored role wins over the token's
          request->caller = std::move(caller);
        }
      }
    }
    if (!ctx_.auth.required) return auth::Decision::kAllow;
    const auth::Principal* caller = request->caller ? &*request->caller : nullptr;
    auth::Decision d = auth::CheckRoute(spec.access, caller);
    if (d != auth::Decision::kAllow || spec.access != auth::Access::kTenant) return d;
    if (spec.json_body && (!IsJsonContentType(req) ||
                           static_cast<int64_t>(req.body().size()) > ctx_.options.max_body_bytes)) {
      return auth::Decision::kAllow;  // refused next, before anything is read
    }
    for (const std::string& tenant : TenantsNamed(*request)) {
      d = TenantDecision(ctx_, *request, tenant);
      if (d != auth::Decision::kAllow) return d;
    }
    return auth::Decision::kAllow;
  }

  // The CORS answer to this request's Origin (accounts.md, CORS): the origin
  // itself when allowed, `*` when every origin is, else none.
  void Cors(const Http::Request& req, std::string* allow_origin, bool* foreign) const {
    const common::OriginPolicy& origins = ctx_.options.origins;
    std::optional<Http::Header::Raw> origin = req.headers().tryGetRaw("Origin");
    *foreign = false;
    if (origins.any()) {
      *allow_origin = "*";
    } else if (origin && origins.Allows(origin->value())) {
      *allow_origin = origin->value();
    } else {
      allow_origin->clear();
      *foreign = origin.has_value();
    }
  }

  // none mode (security.md, DNS rebinding): a page on another name that
  // resolves to this address is same-origin for the browser, but its Host
  // says that name. A request without Host (HTTP/1.0) passes.
  bool HostAllowed(const Http::Request& req) const {
    if (!ctx_.options.hosts.restricted()) return true;
    std::shared_ptr<const Http::Header::Host> host = req.headers().tryGet<Http::Header::Host>();
    if (!host) return true;
    std::string value = host->host();
    return ctx_.options.hosts.Allows(value);
  }

  static ApiResponse ForbiddenHost() {
    return ErrorResponse(ApiError::kForbiddenHost,
                         "this Host is not served; add it to --allowed-hosts if it is yours");
  }

  // No route for this method and path: 405 when another method has it, else 404.
  void ServeUnrouted(const Rest::Request& req, Http::ResponseWriter& resp) {
    InFlight counted(this);
    std::string allow_origin;
    bool foreign_origin = false;
    Cors(req, &allow_origin, &foreign_origin);
    std::string allow;
    for (const RouteSpec& spec : RouteTable()) {
      if (PathMatches(spec.path, req.resource())) {
        if (!allow.empty()) allow += ", ";
        allow += spec.method;
      }
    }
    ApiResponse out;
    if (!HostAllowed(req)) {
      out = ForbiddenHost();
    } else if (ctx_.shutting_down) {
      out = ErrorResponse(ApiError::kShuttingDown, "server is shutting down");
    } else if (!allow.empty() && req.method() == Http::Method::Options) {
      // A browser's CORS preflight for a route we have.
      out.status = 204;
      out.content_type = "text/plain";
      out.allow = allow + ", OPTIONS";
    } else if (!allow.empty()) {
      out = ErrorResponse(ApiError::kMethodNotAllowed,
                          std::string(Http::methodString(req.method())) + " " + req.resource() +
                              " is not allowed; use " + allow);
      out.allow = allow;
    } else {
      out = ErrorResponse(ApiError::kNotFound, "no route " + req.resource());
    }
    Send(resp, out, allow_origin, writes_);
  }

  // Path parameters must be identifiers (a tenant id with a NUL or a '/'
  // would name another tenant's rows or path); a malformed '%' anywhere in
  // the path or query is refused rather than guessed at. false and *error
  // (the 400 message) when the URL is refused.
  static bool Decode(const RouteSpec& spec, const Rest::Request& req, ApiRequest* out,
                     std::string* error) {
    for (std::string_view segment : Segments(spec.path)) {
      if (segment.front() != '{') continue;
      std::string name(segment.substr(1, segment.size() - 2));
      std::optional<std::string> value =
          PathParam(name, req.param(":" + name).as<std::string>(), error);
      if (!value) return false;
      out->params[name] = std::move(*value);
    }
    const auto& query = req.query();
    for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
      std::optional<std::string> name = common::PercentDecode(it->first);
      std::optional<std::string> value = common::PercentDecode(it->second);
      if (!name || !value) {
        *error = "a query parameter has a '%' not followed by two hex digits";
        return false;
      }
      out->query[std::move(*name)] = std::move(*value);
    }
    out->body = req.body();
    for (const auto& [name, raw] : req.headers().rawList()) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out->headers[lower] = raw.value();
    }
    return true;
  }

  ApiContext ctx_;
  std::unique_ptr<Http::Endpoint> endpoint_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable idle_;
  int in_flight_ = 0;
  std::shared_ptr<PendingWrites> writes_ = std::make_shared<PendingWrites>();
  std::shared_ptr<std::atomic<int>> open_connections_ = std::make_shared<std::atomic<int>>(0);
  // Last: its thread reads ctx_ (the overview) until it is destroyed.
  EventStreams streams_{[this] { return HandleOverview(ctx_, ApiRequest{}).body; },
                        &ctx_.event_streams};
};

HttpServer::HttpServer(HttpOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads,
                       WsInfo ws)
    : impl_(std::make_unique<Impl>(std::move(options), pipeline, reads, std::move(ws))) {}
HttpServer::~HttpServer() = default;
common::Status HttpServer::Start() { return impl_->Start(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::BeginShutdown() { impl_->BeginShutdown(); }
void HttpServer::Stop() { impl_->Stop(); }
void HttpServer::UseAccounts(db::AccountStore* accounts, auth::Directory* directory,
                             AuthOptions auth, TenantClosedFn tenant_closed) {
  impl_->UseAccounts(accounts, directory, std::move(auth), std::move(tenant_closed));
}
void HttpServer::UseConsoleStore(db::ConsoleStore* store, TenantConnectionsFn tenant_connections) {
  impl_->UseConsoleStore(store, std::move(tenant_connections));
}

}  // namespace syncd::api
