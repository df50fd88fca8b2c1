#include "sqlite/file_identity.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace syncd::db {

Status FileIdentity::Remember(const std::string& path, bool* exists) {
  path_ = path;
  known_ = false;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *exists = false;
    if (errno == ENOENT) return Status::Ok();
    return Status::Permanent("cannot stat " + path + ": " + std::strerror(errno));
  }
  *exists = true;
  known_ = true;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return Status::Ok();
}

Status FileIdentity::Check() const {
  if (!known_) return Status::Ok();
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return Status::Unavailable(path_ + " was deleted while syncd had it open");
    }
    return Status::Ok();
  }
  if (st.st_dev != dev_ || st.st_ino != ino_) {
    return Status::Unavailable(path_ + " was replaced by another file while syncd had it open");
  }
  return Status::Ok();
}

}  // namespace syncd::db
