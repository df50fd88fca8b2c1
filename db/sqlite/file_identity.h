// Private: which file a path named when the database was opened. SQLite keeps
// writing to an open file after `rm syncd.db*` (or after another file is moved
// over the path); every commit then lands in a file no restart will see. The
// write store checks the identity after each commit, before anything that
// commit wrote can be acknowledged (a stat(2) per file and commit, not per
// entry).
#ifndef SYNCD_DB_SQLITE_FILE_IDENTITY_H_
#define SYNCD_DB_SQLITE_FILE_IDENTITY_H_

#include <sys/types.h>

#include <string>

#include "syncd/common/status.h"

namespace syncd::db {

using common::Status;

class FileIdentity {
 public:
  // Remembers the device and inode `path` names now. A file that does not
  // exist is not checked later (*exists false).
  Status Remember(const std::string& path, bool* exists);
  // Ok while the path still names the remembered file (or nothing was
  // remembered); Unavailable when it names nothing or another file. Other
  // stat errors say nothing about the file and count as ok.
  Status Check() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool known_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_FILE_IDENTITY_H_
