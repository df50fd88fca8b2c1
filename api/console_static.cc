// GET /, /console, /console/{file}, /console/assets/{file}: the built
// operator console from HttpOptions::console_dir. Only plain names of regular
// files inside that folder are served (no "..", no other folder, no symlink
// that leads out of it); everything else is a 404.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "handlers.h"

namespace syncd::api {

namespace {

namespace fs = std::filesystem;

// Hashed file names never change content; index.html must be re-validated so
// a new build's asset names are picked up at once.
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kNoCache = "no-cache";

struct ContentType {
  std::string_view extension;
  const char* type;
};

constexpr ContentType kContentTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

const char* ContentTypeOf(std::string_view name) {
  for (const ContentType& c : kContentTypes) {
    if (name.size() > c.extension.size() &&
        name.substr(name.size() - c.extension.size()) == c.extension) {
      return c.type;
    }
  }
  return nullptr;
}

ApiResponse NotFound(const std::string& what) {
  return ErrorResponse(ApiError::kNotFound, "no console file " + what);
}

// A file name as the build writes them: letters, digits, '.', '-', '_', not
// starting with '.'. Rules out "..", "/", "\", NUL and percent-decoded tricks.
bool IsPlainName(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

ApiResponse BuildHint(const std::string& dir) {
  ApiResponse r;
  r.status = 404;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Cache-Control", kNoCache);
  r.body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>syncd console not built</title></head><body "
      "style=\"font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em\">"
      "<h1>The syncd console is not built</h1><p>syncd serves the console from <code>" +
      dir +
      "</code>, which has no <code>index.html</code>. Build it with</p>"
      "<pre>scripts/build-console.sh</pre><p>(or start syncd with <code>scripts/run.sh</code>, "
      "which builds it), or point <code>--console-dir</code> / <code>SYNCD_CONSOLE_DIR</code> at "
      "a built folder. The REST API works without it: <a href=\"/openapi.yaml\">openapi.yaml</a>."
      "</p></body></html>";
  return r;
}

// `relative` is "index.html", "<name>" or "assets/<name>", names checked.
ApiResponse ServeFile(const ApiContext& ctx, const std::string& relative, const char* cache) {
  const std::string& dir = ctx.options.console_dir;
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root, ec)) {
    if (relative == "index.html") return BuildHint(dir);
    return NotFound(relative);
  }
  fs::path file = fs::canonical(root / relative, ec);  // resolves symlinks
  std::string root_text = root.string() + "/";
  if (ec || file.string().compare(0, root_text.size(), root_text) != 0 ||
      !fs::is_regular_file(file, ec)) {
    if (relative == "index.html") return BuildHint(dir);
    return NotFound(relative);
  }
  const char* type = ContentTypeOf(relative);
  if (type == nullptr) return NotFound(relative);
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) return NotFound(relative);
  ApiResponse r;
  r.content_type = type;
  r.body = text.str();
  r.headers.emplace_back("Cache-Control", cache);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

ApiResponse HandleRoot(ApiContext&, const ApiRequest&) {
  ApiResponse r;
  r.status = 302;
  r.content_type = "text/plain";
  r.body = "see /console/\n";
  r.headers.emplace_back("Location", "/console/");
  return r;
}

ApiResponse HandleConsoleIndex(ApiContext& ctx, const ApiRequest&) {
  return ServeFile(ctx, "index.html", kNoCache);
}

ApiResponse HandleConsoleFile(ApiContext& ctx, const ApiRequest& req) {
  const std::string& name = req.params.at("file");
  if (!IsPlainName(name)) return NotFound(name);
  return ServeFile(ctx, name, kNoCache);
}

ApiResponse HandleConsoleAsset(ApiContext& ctx, const ApiRequest& req) {
  const std::string& name = req.params.at("file");
  if (!IsPlainName(name)) return NotFound(name);
  return ServeFile(ctx, "assets/" + name, kImmutable);
}

}  // namespace syncd::api
