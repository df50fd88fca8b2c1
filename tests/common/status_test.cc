#include "syncd/common/status.h"

#include <gtest/gtest.h>

namespace syncd::common {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_FALSE(s.transient());
  EXPECT_EQ(s.code(), Status::Code::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, ClassifiesEachKind) {
  EXPECT_TRUE(Status::Transient("busy").transient());
  EXPECT_FALSE(Status::Transient("busy").permanent());
  EXPECT_TRUE(Status::Permanent("constraint").permanent());
  EXPECT_FALSE(Status::Permanent("constraint").transient());
  EXPECT_TRUE(Status::NotFound("entry").not_found());
  EXPECT_FALSE(Status::NotFound("entry").ok());
}

// A lost database must be retried by clients (transient) but is also told
// apart, so the store can refuse every later transaction.
TEST(StatusTest, UnavailableIsTransientToo) {
  Status s = Status::Unavailable("database deleted");
  EXPECT_TRUE(s.unavailable());
  EXPECT_TRUE(s.transient());
  EXPECT_FALSE(s.permanent());
}

TEST(StatusTest, ToStringNamesKindAndMessage) {
  EXPECT_EQ(Status::Transient("begin: locked").ToString(), "transient: begin: locked");
  EXPECT_EQ(Status::Permanent("x").ToString(), "permanent: x");
  EXPECT_EQ(Status::NotFound("y").ToString(), "not found: y");
  EXPECT_EQ(Status::Unavailable("z").ToString(), "unavailable: z");
  EXPECT_EQ(Status::Permanent("x").message(), "x");
}

}  // namespace
}  // namespace syncd::common
