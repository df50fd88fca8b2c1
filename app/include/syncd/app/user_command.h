// `syncd user add --operator --email E --name N [--db PATH]` (accounts.md):
// makes an account on the database and exits, reading the password from
// standard input (never from the command line, where `ps` shows it).
#ifndef SYNCD_APP_USER_COMMAND_H_
#define SYNCD_APP_USER_COMMAND_H_

namespace syncd::app {

// argv[0] is "user". Returns the exit code: 0 made, 1 refused (email taken,
// password too short), 2 bad usage or a database that cannot be opened.
int RunUserCommand(int argc, char** argv);

}  // namespace syncd::app

#endif  // SYNCD_APP_USER_COMMAND_H_
