#include "syncd/common/status.h"

namespace syncd::common {

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk:
      return "ok";
    case Code::kTransient:
      return "transient: " + message_;
    case Code::kPermanent:
      return "permanent: " + message_;
    case Code::kNotFound:
      return "not found: " + message_;
    case Code::kUnavailable:
      return "unavailable: " + message_;
  }
  return message_;
}

}  // namespace syncd::common
