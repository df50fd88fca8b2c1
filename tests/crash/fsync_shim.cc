// An LD_PRELOAD shim for the durability tests: interposes the calls that
// make written data durable (fsync, fdatasync, sync_file_range, msync,
// syncfs; libsqlite3 uses fdatasync) to observe them and to fail them on
// demand, as a disk that cannot flush would.
//
//   SYNCD_SYNC_LOG=<file>   appends "<n> <call> <path of the fd>" per call,
//                           <n> counting from 1 in this process
//   SYNCD_SYNC_FAIL=<file>  while that file exists, every call fails with EIO
//                           without reaching the disk
//
// Loaded only by tests (tests/crash/durability_test.cc), never by syncd itself.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

namespace {

std::atomic<long> g_calls{0};

// Logs the call and says whether it must fail.
bool Observe(const char* call, int fd) {
  long n = ++g_calls;
  int saved = errno;
  if (const char* log = getenv("SYNCD_SYNC_LOG")) {
    char target[512] = "?";
    if (fd >= 0) {
      char link[64];
      snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
      ssize_t len = readlink(link, target, sizeof(target) - 1);
      target[len > 0 ? len : 0] = '\0';
    }
    char line[700];
    int size = snprintf(line, sizeof(line), "%ld %s %s\n", n, call, target);
    int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (out >= 0) {
      // One write with O_APPEND: lines of concurrent calls never interleave.
      ssize_t ignored = write(out, line, static_cast<size_t>(size));
      (void)ignored;
      close(out);
    }
  }
  bool fail = false;
  if (const char* trigger = getenv("SYNCD_SYNC_FAIL")) {
    struct stat st;
    fail = stat(trigger, &st) == 0;
  }
  errno = saved;
  return fail;
}

template <typename F>
F Next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int fsync(int fd) {
  static auto real = Next<int (*)(int)>("fsync");
  if (Observe("fsync", fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) {
  static auto real = Next<int (*)(int)>("fdatasync");
  if (Observe("fdatasync", fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  static auto real = Next<int (*)(int, off64_t, off64_t, unsigned int)>("sync_file_range");
  if (Observe("sync_file_range", fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd, offset, nbytes, flags);
}

int msync(void* addr, size_t length, int flags) {
  static auto real = Next<int (*)(void*, size_t, int)>("msync");
  if (Observe("msync", -1)) {
    errno = EIO;
    return -1;
  }
  return real(addr, length, flags);
}

int syncfs(int fd) {
  static auto real = Next<int (*)(int)>("syncfs");
  if (Observe("syncfs", fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

}  // extern "C"
