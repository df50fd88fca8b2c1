#include "syncd/app/user_command.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "syncd/auth/account_rules.h"
#include "syncd/auth/password.h"
#include "syncd/auth/tokens.h"
#include "syncd/common/clock.h"
#include "syncd/db/account_store.h"
#include "syncd/db/postgres_store.h"

namespace syncd::app {

namespace {

constexpr const char* kUsage =
    "usage: syncd user add --operator --email E --name N [--db PATH|postgresql://...]\n"
    "  reads the password (at least 8 characters) from standard input\n";

int Usage(const char* problem) {
  std::fprintf(stderr, "syncd: %s\n%s", problem, kUsage);
  return 2;
}

// One line of standard input, without its line end. On a terminal: a
// prompt, and the typed password is not echoed (restored afterwards).
std::string ReadPassword() {
  termios saved{};
  const bool tty = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::fprintf(stderr, "Password: ");
    std::fflush(stderr);
  }
  std::string password;
  std::getline(std::cin, password);
  if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

}  // namespace

int RunUserCommand(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "add") return Usage("unknown user command");
  std::string email, name, db = "data/syncd.db";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): before any thread starts
  if (const char* v = std::getenv("SYNCD_DB")) db = v;
  bool operator_role = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--operator") {
      operator_role = true;
    } else if ((arg == "--email" || arg == "--name" || arg == "--db") && i + 1 < argc) {
      std::string value = argv[++i];
      (arg == "--email" ? email : arg == "--name" ? name : db) = value;
    } else {
      return Usage(("unknown or incomplete argument " + arg).c_str());
    }
  }
  if (!operator_role) return Usage("only operator accounts are made here (--operator)");
  if (email.empty() || name.empty()) return Usage("--email and --name are required");
  // The rules of POST /register (accounts.md).
  if (!auth::LooksLikeEmail(email)) return Usage("--email must look like name@example.org");
  if (auto bad = auth::NameProblem(name)) return Usage(("--name: " + *bad).c_str());
  const std::string password = ReadPassword();
  if (auto bad = auth::PasswordProblem(password)) {
    std::fprintf(stderr, "syncd: the password (standard input): %s\n", bad->c_str());
    return 1;
  }
  common::Status status;
  std::unique_ptr<db::AccountStore> accounts;
  if (db::IsPostgresUrl(db)) {
    // The running instances see the new user at once (NOTIFY syncd_accounts).
    db::PostgresOptions pg;
    pg.url = db;
    accounts = db::OpenPostgresAccountStore(pg, &status);
  } else {
    db::SqliteOptions sqlite;
    sqlite.path = db;
    accounts = db::OpenSqliteAccountStore(sqlite, &status);
  }
  if (!accounts) {
    std::fprintf(stderr, "syncd: cannot open database %s: %s\n",
                 db::IsPostgresUrl(db) ? db::RedactedUrl(db).c_str() : db.c_str(),
                 status.message().c_str());
    return 2;
  }
  db::UserRow user;
  user.uuid = auth::NewUuid();
  user.name = name;
  user.email = email;
  user.role = "operator";
  user.password_hash = auth::HashPassword(password);
  user.created_at_ms = user.updated_at_ms = common::SystemClock().NowMs();
  if (user.password_hash.empty()) {
    std::fprintf(stderr, "syncd: could not hash the password\n");
    return 1;
  }
  db::WriteOutcome outcome = db::WriteOutcome::kDone;
  status = accounts->CreateUser(user, &outcome);
  if (!status.ok()) {
    std::fprintf(stderr, "syncd: cannot write the account: %s\n", status.message().c_str());
    return 2;
  }
  if (outcome != db::WriteOutcome::kDone) {
    std::fprintf(stderr, "syncd: an account with the email %s exists\n", email.c_str());
    return 1;
  }
  std::printf("%s\n", user.uuid.c_str());
  std::fprintf(stderr, "syncd: operator %s created\n", email.c_str());
  return 0;
}

}  // namespace syncd::app
