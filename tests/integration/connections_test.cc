// Connections are bounded (issue 9, item 6): server.max_connections, the open-file limit
// raised at start, and thousands of idle connections that do not stop the gateway serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "support/aigw_process.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

// A plain TCP connection that sends nothing.
class IdleConnection {
 public:
  explicit IdleConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~IdleConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  // True when the server closes it (EOF or reset) within `limit`, having sent nothing.
  bool closed_silently_within(std::chrono::milliseconds limit) {
    timeval tv{static_cast<time_t>(limit.count() / 1000),
               static_cast<suseconds_t>((limit.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    const auto n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// "Max open files  SOFT  HARD  files" of a process.
std::pair<std::string, std::string> open_file_limits(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft, hard;
    fields >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

TEST(ConnectionsTest, StartRaisesTheOpenFileSoftLimitToTheHardLimit) {
  rlimit mine{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  AigwProcess gw("");
  const auto [soft, hard] = open_file_limits(gw.pid());
  ASSERT_FALSE(hard.empty());
  EXPECT_EQ(soft, hard);
}

TEST(ConnectionsTest, OverMaxConnectionsNewOnesAreClosedAndOldOnesServed) {
  AigwProcess gw("server: { max_connections: 3 }\n");
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<HttpConnection>(gw.port(), 10s));
    ASSERT_EQ(held.back()->request("GET", "/").status, 200) << i;  // its session is open
  }
  IdleConnection extra(gw.port());
  ASSERT_TRUE(extra.connected());  // the kernel accepts; the gateway closes it at once
  EXPECT_TRUE(extra.closed_silently_within(10s));
  for (auto& c : held) EXPECT_EQ(c->request("GET", "/").status, 200);

  // Once one leaves, a new connection is served again (the gateway notices the close
  // asynchronously: retried until it has, within a generous deadline).
  held.front()->close();
  const auto deadline = Clock::now() + 20s;
  int status = 0;
  while (status != 200 && Clock::now() < deadline) {
    status = http_request(gw.port(), "GET", "/").status;
    if (status != 200) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(status, 200);
}

// Out of descriptors (the open-file limit lowered from outside with prlimit): connections
// already open are served, and once descriptors are free again new ones are accepted.
TEST(ConnectionsTest, OutOfDescriptorsTheGatewayKeepsServingAndRecovers) {
#if AIGW_UBSAN_VPTR
  // UBSan's vptr check probes memory by writing it into a pipe (IsAccessibleMemoryRange in
  // libubsan calls pipe()); out of descriptors the probe fails and UBSan reports every virtual
  // call as "invalid vptr" and stops the process. Not a gateway bug: the test runs in builds
  // without UBSan (`make tsan`, release).
  GTEST_SKIP() << "UBSan's vptr check cannot run without free descriptors (runs under make tsan)";
#endif
  AigwProcess gw("");
  HttpConnection open(gw.port(), 10s);
  ASSERT_EQ(open.request("GET", "/").status, 200);
  rlimit original{};
  ASSERT_EQ(prlimit(gw.pid(), RLIMIT_NOFILE, nullptr, &original), 0);
  // Just above what it holds now: the next few accepts fail with EMFILE.
  int in_use = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(gw.pid()) + "/fd")) {
    (void)entry;
    ++in_use;
  }
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(in_use + 2);
  ASSERT_EQ(prlimit(gw.pid(), RLIMIT_NOFILE, &tight, nullptr), 0);
  std::vector<std::unique_ptr<IdleConnection>> waiting;
  for (int i = 0; i < 20; ++i) waiting.push_back(std::make_unique<IdleConnection>(gw.port()));
  // The accept loop is now failing (EMFILE) with connections pending: the open one is served.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(open.request("GET", "/").status, 200) << i;
  waiting.clear();
  ASSERT_EQ(prlimit(gw.pid(), RLIMIT_NOFILE, &original, nullptr), 0);
  const auto r = http_request(gw.port(), "GET", "/");
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST(ConnectionsTest, FiveThousandIdleConnectionsDoNotStopTheGateway) {
  constexpr int kIdle = 5000;
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const rlim_t needed = kIdle + 256;  // ours; aigw inherits the hard limit and raises to it
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    GTEST_SKIP() << "the open-file hard limit is " << limit.rlim_max << ", this test needs "
                 << needed << " (raise it with ulimit -Hn)";
  }
  if (limit.rlim_cur < needed) {
    limit.rlim_cur = needed;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  AigwProcess gw("server: { idle_timeout: 120s }\n");
  {
    std::vector<std::unique_ptr<IdleConnection>> idle;
    idle.reserve(kIdle);
    for (int i = 0; i < kIdle; ++i) {
      idle.push_back(std::make_unique<IdleConnection>(gw.port()));
      ASSERT_TRUE(idle.back()->connected()) << i;
    }
    const auto r = http_request(gw.port(), "GET", "/");
    EXPECT_EQ(r.status, 200) << r.error;
  }
  // All closed: the next request is served as ever.
  const auto after = http_request(gw.port(), "GET", "/");
  EXPECT_EQ(after.status, 200) << after.error;
}

}  // namespace
}  // namespace aigw::testing
