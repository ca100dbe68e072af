// Stream usage settled into the budget and the usage ledger, end to end: the real aigw against
// fake providers over sockets. The chat stream's usage is asked for (and stripped when the caller
// did not ask for it), and a stream the provider breaks counts what it sent. The fixture:
// support/budget_fixture.h.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/budget_fixture.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

// --- 3. streams are settled ---------------------------------------------------------------

TEST_F(BudgetTest, ChatStreamUsageIsAskedForStrippedAndSettled) {
  auto gw = start("teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  const auto r = chat(*gw, chat_request("gpt-4o", ",\"stream\":true"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(openai_.requests().size(), 1u);
  EXPECT_TRUE(asked_for_usage(openai_.requests()[0])) << openai_.requests()[0].body;
  EXPECT_NE(r.body.find("\"content\":\"hel\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("usage"), std::string::npos)
      << "the caller did not ask for the usage chunk:\n"
      << r.body;
  auto b = budget_of(*gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), kStreamIn + kStreamOut);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);

  // A caller who asked for it gets it, and it is counted the same.
  const auto asked = chat(
      *gw, chat_request("gpt-4o", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_NE(asked.body.find("\"prompt_tokens\":21"), std::string::npos) << asked.body;
  b = budget_of(*gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 2 * (kStreamIn + kStreamOut));
  EXPECT_EQ(int_at(b.at("used"), "requests"), 2);

  const auto report = usage_report(gw->port(), "group_by=team,model");
  ASSERT_TRUE(report.is_object());
  ASSERT_EQ(report.at("rows").as_array().size(), 1u) << report;
  const auto& row = report.at("rows").at(0);
  EXPECT_EQ(row.at("team"), "default");
  EXPECT_EQ(row.at("model"), "gpt-4o");
  EXPECT_EQ(int_at(row, "input_tokens"), 2 * kStreamIn);
  EXPECT_EQ(int_at(row, "output_tokens"), 2 * kStreamOut);
  EXPECT_EQ(int_at(row, "requests"), 2);
}

TEST_F(BudgetTest, AnthropicStreamsAreSettledAndABrokenOneCountsWhatItSent) {
  std::atomic<bool> break_it{false};
  FakeUpstream anthropic([&](const UpstreamRequest&) {
    auto events = anthropic_stream_events({"hel", "lo"});
    if (!break_it) return Reply::sse(std::move(events));
    events.resize(3);  // message_start (9 in, 1 out so far), content_block_start, one delta
    return Reply::broken_sse(std::move(events));
  });
  AigwProcess gw(providers_yaml(nullptr, &anthropic) +
                 "teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  const auto call = [&] {
    return http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"),
                        messages_request(",\"stream\":true"));
  };
  const auto whole = call();
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_NE(whole.body.find("event: message_stop"), std::string::npos) << whole.body;
  auto b = budget_of(gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 9 + 4);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);

  break_it = true;
  const auto broken = call();
  EXPECT_EQ(broken.status, 200);  // the stream had begun
  EXPECT_NE(broken.body.find("\"type\":\"error\""), std::string::npos) << "the caller is told:\n"
                                                                       << broken.body;
  EXPECT_EQ(broken.body.find("event: message_stop"), std::string::npos) << broken.body;
  b = budget_of(gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 9 + 4 + 9 + 1);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 2);

  const auto totals = usage_report(gw.port(), "group_by=team").at("totals");
  EXPECT_EQ(int_at(totals, "input_tokens"), 18);
  EXPECT_EQ(int_at(totals, "output_tokens"), 5);
  EXPECT_EQ(int_at(totals, "requests"), 2);
}

TEST_F(BudgetTest, ABrokenChatStreamAfterItsUsageChunkIsSettled) {
  // Usage arrives in the last chunk of a chat stream; a break before [DONE] must not lose it.
  FakeUpstream openai([](const UpstreamRequest&) {
    return Reply::broken_sse(
        {openai_delta_event("hel"), openai_usage_event(kStreamIn, kStreamOut)});
  });
  AigwProcess gw(providers_yaml(&openai) +
                 "teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              chat_request("gpt-4o", ",\"stream\":true"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("\"usage\""), std::string::npos) << r.body;
  const auto b = budget_of(gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), kStreamIn + kStreamOut);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);
}

}  // namespace
}  // namespace aigw::testing
