#include "sqlite/writer_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace syncd::db {

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status WriterLock::Acquire(const std::string& db_path) {
  std::string path = db_path + ".lock";
  fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::Permanent("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Permanent("database " + db_path + " is in use by another syncd process");
  }
  return Status::Ok();
}

}  // namespace syncd::db
