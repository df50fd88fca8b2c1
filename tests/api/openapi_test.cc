// openapi.yaml documents exactly the routes the server serves.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "syncd/api/http_server.h"

namespace syncd::api {
namespace {

// "METHOD /path" for every operation under `paths:` (line-based: a path is a
// two-space-indented key starting with '/', an operation a four-space key).
std::set<std::string> DocumentedRoutes(const std::string& yaml) {
  static const std::set<std::string> kMethods = {"get",     "put",  "post",  "delete",
                                                 "options", "head", "patch", "trace"};
  std::set<std::string> routes;
  std::istringstream in(yaml);
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      in_paths = line.rfind("paths:", 0) == 0;
      continue;
    }
    if (!in_paths) continue;
    if (line.rfind("  /", 0) == 0) {
      path = line.substr(2, line.find(':', 2) - 2);
    } else if (line.rfind("    ", 0) == 0 && line[4] != ' ' && !path.empty()) {
      std::string key = line.substr(4, line.find(':') - 4);
      if (kMethods.count(key) != 0) {
        for (char& c : key) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
        key += ' ';
        routes.insert(key + path);
      }
    }
  }
  return routes;
}

std::string ReadOpenApi() {
  std::ifstream file(std::string(SYNCD_SOURCE_DIR) + "/openapi.yaml");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(OpenApiTest, RoutesMatchDocument) {
  std::string yaml = ReadOpenApi();
  ASSERT_FALSE(yaml.empty());
  std::vector<std::string> served = HttpServer::Routes();
  EXPECT_EQ(DocumentedRoutes(yaml), std::set<std::string>(served.begin(), served.end()));
  EXPECT_EQ(served.size(), std::set<std::string>(served.begin(), served.end()).size());
}

TEST(OpenApiTest, ReaderSeesAnExtraOrMissingRoute) {
  std::string yaml = ReadOpenApi();
  std::set<std::string> documented = DocumentedRoutes(yaml);
  EXPECT_EQ(documented.count("GET /health"), 1u);
  EXPECT_EQ(documented.count("POST /api/v1/sync/entries"), 1u);
  std::string extra = yaml;
  extra.replace(extra.find("\npaths:\n"), 8,
                "\npaths:\n  /api/v1/extra:\n    delete:\n      summary: x\n");
  EXPECT_EQ(DocumentedRoutes(extra).count("DELETE /api/v1/extra"), 1u);
  EXPECT_NE(DocumentedRoutes(extra), documented);
}

}  // namespace
}  // namespace syncd::api
