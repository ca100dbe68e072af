// libFuzzer target: a caller's x-portkey-config (docs/routing.md). Input: the config's JSON
// text, then optionally "\n--\n" and a request body the conditions look at; the bytes after
// a second "\n--\n" script the attempts' outcomes. Whatever the bytes: parsing never crashes;
// an accepted config names only configured providers and carries no key (the admin did not
// opt in); the walk it drives ends after a bounded number of attempts, every one at a leaf.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "routing/route_config.h"
#include "routing/route_walk.h"

namespace {

namespace json = boost::json;
namespace routing = aigw::routing;

void require(bool ok) {
  if (!ok) std::abort();
}

std::string_view take_part(std::string_view& input) {
  const auto at = input.find("\n--\n");
  const std::string_view part = input.substr(0, at);
  input = at == std::string_view::npos ? std::string_view() : input.substr(at + 4);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view config_text = take_part(input);
  const std::string_view body_text = take_part(input);
  const std::string_view script = input;

  const routing::ConfigCheck check{
      [](std::string_view name) { return name == "openai" || name == "anthropic"; }, false,
      [](std::string_view name) -> std::optional<std::string> {
        if (name == "vk-openai") return "openai";
        return std::nullopt;
      }};
  auto parsed = routing::parse_route_config_text(config_text, check);
  if (!parsed) {
    require(parsed.error().status == 400);
    return 0;
  }
  int leaves = 0;
  int max_attempts = 0;
  routing::for_each_leaf(*parsed, [&](const routing::RouteNode& leaf) {
    ++leaves;
    max_attempts += leaf.retry.attempts + 1;
    require(leaf.api_key.empty() && leaf.custom_host.empty());
    require(leaf.provider.empty() ? &leaf == &*parsed : check.provider_exists(leaf.provider));
  });

  boost::system::error_code ec;
  json::value body = json::parse(body_text, ec);
  json::object params = !ec && body.is_object() ? body.as_object() : json::object{};
  json::object metadata;
  std::size_t pos = 0;
  auto next_byte = [&]() -> std::uint8_t {
    return pos < script.size() ? static_cast<std::uint8_t>(script[pos++]) : 0;
  };
  routing::RouteWalk::TimePoint now{};
  routing::RouteWalk walk(*parsed,
                          {{&params, &metadata},
                           routing::WalkPolicy{},
                           [&] { return now; },
                           [&] { return next_byte() / 256.0; },
                           [&](const routing::RouteNode&) { return (next_byte() & 7) != 0; }});
  int attempts = 0;
  while (const auto step = walk.next()) {
    require(step->leaf != nullptr && step->leaf->is_leaf());
    require(step->wait.count() >= 0);
    require(++attempts <= max_attempts);
    now += step->wait + std::chrono::milliseconds(next_byte());
    const std::uint8_t b = next_byte();
    routing::AttemptOutcome outcome;
    switch (b % 4) {
      case 0:
        outcome = {routing::AttemptOutcome::Kind::kFailed, 0, std::nullopt};
        break;
      case 1:
        outcome = {routing::AttemptOutcome::Kind::kTimedOut, 0, std::nullopt};
        break;
      case 2:
        outcome = {routing::AttemptOutcome::Kind::kSkipped, 0, std::nullopt};
        break;
      default:
        outcome = {routing::AttemptOutcome::Kind::kAnswered, 400 + next_byte() % 200,
                   std::chrono::milliseconds(next_byte() * 100)};
    }
    walk.report(outcome);
  }
  (void)leaves;
  return 0;
}
