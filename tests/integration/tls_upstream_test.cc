// TLS to the provider: the certificate is verified against the system store plus
// upstream.ca_file, the host name is sent as SNI, and a certificate nobody vouches for is a 502.
#include <gtest/gtest.h>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

class TlsUpstreamTest : public ::testing::Test {
 protected:
  TempDir dir_;
  TestCertificates certs_ = make_test_certificates(dir_.path() + "/good");
  FakeUpstream openai_{
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer("over tls")); },
      &certs_};
};

TEST_F(TlsUpstreamTest, ProviderCertificateSignedByTheConfiguredCaIsAcceptedAndSniIsSent) {
  AigwProcess gw("upstream: { ca_file: \"" + certs_.ca_cert + "\" }\n" + providers_yaml(&openai_));
  ASSERT_EQ(openai_.base_url().rfind("https://localhost:", 0), 0u);
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"model":"x"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, openai_chat_answer("over tls"));
  ASSERT_EQ(openai_.requests().size(), 1u);
  const auto seen = openai_.requests()[0];
  EXPECT_EQ(seen.sni, "localhost");
  EXPECT_EQ(seen.header("host"), "localhost:" + std::to_string(openai_.port()));
  EXPECT_EQ(seen.header("authorization"), std::string("Bearer ") + kProviderKey);
}

TEST_F(TlsUpstreamTest, StreamsWorkOverTls) {
  FakeUpstream streaming(
      [](const UpstreamRequest&) {
        return Reply::sse({openai_delta_event("a"), openai_delta_event("b"), openai_done_event()},
                          std::chrono::milliseconds(50));
      },
      &certs_);
  AigwProcess gw("upstream: { ca_file: \"" + certs_.ca_cert + "\" }\n" +
                 providers_yaml(&streaming));
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, openai_delta_event("a") + openai_delta_event("b") + openai_done_event());
}

TEST_F(TlsUpstreamTest, WithoutTheTestCaTheProviderIs502Unreachable) {
  AigwProcess gw(providers_yaml(&openai_));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  EXPECT_TRUE(is_openai_error(r, 502, "provider \"openai\" is unreachable: "));
  EXPECT_NE(r.error_message().find("certificate"), std::string::npos) << r.body;
  EXPECT_TRUE(openai_.requests().empty());
}

TEST_F(TlsUpstreamTest, AnotherCaIsRejectedWith502) {
  const auto other = make_test_certificates(dir_.path() + "/other");
  AigwProcess gw("upstream: { ca_file: \"" + other.ca_cert + "\" }\n" +
                 providers_yaml(nullptr, &openai_));
  const auto r = http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"), "{}");
  EXPECT_TRUE(is_anthropic_error(r, 502, "provider \"anthropic\" is unreachable: "));
  EXPECT_TRUE(openai_.requests().empty());
}

TEST_F(TlsUpstreamTest, CertificateForAnotherHostNameIsRejectedWith502) {
  // A certificate from the trusted CA, but for api.example.com, served on localhost.
  const auto wrong_name = make_test_certificates(dir_.path() + "/wrong-name", "api.example.com");
  FakeUpstream impostor([](const UpstreamRequest&) { return Reply::json(200, "{}"); }, &wrong_name);
  AigwProcess gw("upstream: { ca_file: \"" + wrong_name.ca_cert + "\" }\n" +
                 providers_yaml(&impostor));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  EXPECT_TRUE(is_openai_error(r, 502, "provider \"openai\" is unreachable: "));
  EXPECT_TRUE(impostor.requests().empty());
}

}  // namespace
}  // namespace aigw::testing
