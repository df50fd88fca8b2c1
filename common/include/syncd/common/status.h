// Status: errors as values inside syncd (leveldb Status style). The db module
// turns every database exception into one of these, classified once; the
// pipeline, ws and api read it without knowing any database. Plain value; any
// thread.
#ifndef SYNCD_COMMON_STATUS_H_
#define SYNCD_COMMON_STATUS_H_

#include <string>
#include <utility>

namespace syncd::common {

class Status {
 public:
  enum class Code {
    kOk,
    kTransient,  // worth retrying: busy/locked, I/O error, disk full, lost connection
    kPermanent,  // retrying cannot help: constraint, bad data, schema
    kNotFound,
    // The database this process writes is gone (its file deleted or replaced
    // while open). Transient for the client (a restarted server may take the
    // entry), but nothing this process writes from now on can be durable: the
    // store refuses every transaction until the process restarts.
    kUnavailable,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Transient(std::string message) { return {Code::kTransient, std::move(message)}; }
  static Status Permanent(std::string message) { return {Code::kPermanent, std::move(message)}; }
  static Status NotFound(std::string message) { return {Code::kNotFound, std::move(message)}; }
  static Status Unavailable(std::string message) {
    return {Code::kUnavailable, std::move(message)};
  }

  bool ok() const { return code_ == Code::kOk; }
  // An unavailable store is also transient: every path that retries or
  // answers system_error for a transient fault does the right thing with it.
  bool transient() const { return code_ == Code::kTransient || code_ == Code::kUnavailable; }
  bool unavailable() const { return code_ == Code::kUnavailable; }
  bool permanent() const { return code_ == Code::kPermanent; }
  bool not_found() const { return code_ == Code::kNotFound; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ok", or the kind and the message, e.g. "transient: begin: database is locked".
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace syncd::common

#endif  // SYNCD_COMMON_STATUS_H_
