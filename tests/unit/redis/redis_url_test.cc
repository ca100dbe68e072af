// state.url for the Redis backend: every part read, defaults filled, mistakes named without
// echoing the password.
#include "redis/redis_url.h"

#include <gtest/gtest.h>

namespace aigw::redis {
namespace {

TEST(RedisUrlTest, ReadsEveryPart) {
  auto url = parse_redis_url("rediss://gateway:s3cret@redis.internal:6380/3");
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "redis.internal");
  EXPECT_EQ(url->port, "6380");
  EXPECT_EQ(url->db, 3);
  EXPECT_EQ(url->username, "gateway");
  EXPECT_EQ(url->password, "s3cret");
  EXPECT_EQ(url->redacted(), "rediss://gateway:***@redis.internal:6380/3");
}

TEST(RedisUrlTest, DefaultsAndThePasswordAlone) {
  auto url = parse_redis_url("redis://127.0.0.1");
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->port, "6379");
  EXPECT_EQ(url->db, 0);
  EXPECT_TRUE(url->password.empty());
  url = parse_redis_url("redis://:pw@[::1]:7000/0");
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->host, "::1");
  EXPECT_TRUE(url->username.empty());
  EXPECT_EQ(url->password, "pw");
  EXPECT_EQ(url->redacted(), "redis://:***@[::1]:7000/0");
}

TEST(RedisUrlTest, MistakesAreNamedWithoutThePassword) {
  for (const char* bad :
       {"http://redis:6379", "redis://", "redis://h:0", "redis://h:99999", "redis://h:6379/x",
        "redis://h:6379/-1", "redis://h/0?timeout=1", "not a url"}) {
    const auto url = parse_redis_url(bad);
    EXPECT_FALSE(url.ok()) << bad;
    if (!url.ok()) {
      EXPECT_EQ(url.error().message.rfind("state.url: ", 0), 0u) << bad;
    }
  }
  const auto url = parse_redis_url("ftp://user:hunter2@h");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace aigw::redis
