// Status: errors as values inside syncd (leveldb Status style). The db module
// turns every database exception into one of these, classified once.
#ifndef SYNCD_DB_STATUS_H_
#define SYNCD_DB_STATUS_H_

#include <string>
#include <utility>

namespace syncd::db {

class Status {
 public:
  enum class Code {
    kOk,
    kTransient,  // worth retrying: busy/locked, I/O error, disk full, lost connection
    kPermanent,  // retrying cannot help: constraint, bad data, schema
    kNotFound,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Transient(std::string message) { return {Code::kTransient, std::move(message)}; }
  static Status Permanent(std::string message) { return {Code::kPermanent, std::move(message)}; }
  static Status NotFound(std::string message) { return {Code::kNotFound, std::move(message)}; }

  bool ok() const { return code_ == Code::kOk; }
  bool transient() const { return code_ == Code::kTransient; }
  bool permanent() const { return code_ == Code::kPermanent; }
  bool not_found() const { return code_ == Code::kNotFound; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace syncd::db

#endif  // SYNCD_DB_STATUS_H_
