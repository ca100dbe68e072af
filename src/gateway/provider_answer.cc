#include "gateway/provider_answer.h"

#include <boost/asio.hpp>
#include <boost/beast/core/string.hpp>

#include "core/text.h"
#include "router/upstream_target.h"

namespace aigw::gateway {
namespace {

class UpstreamAnswer final : public ProviderAnswer {
 public:
  explicit UpstreamAnswer(std::unique_ptr<upstream::UpstreamResponse> r)
      : response_(std::move(r)) {}
  int status() const override { return response_->status(); }
  bool is_event_stream() const override { return response_->is_event_stream(); }
  std::vector<std::pair<std::string, std::string>> headers() const override {
    std::vector<std::pair<std::string, std::string>> out;
    response_->head().for_each_field([&](std::string_view field, std::string_view value) {
      std::string name = lower_copy(field);
      if (router::forward_response_header(name)) out.emplace_back(std::move(name), value);
    });
    return out;
  }
  net::awaitable<Read> read_some(std::string& out) override {
    // (Not a switch on the co_await: GCC 12 miscompiles co_await in a switch condition.)
    const auto result = co_await response_->read_some(out);
    if (result == upstream::UpstreamResponse::Read::kData) co_return Read::kData;
    if (result == upstream::UpstreamResponse::Read::kEnd) co_return Read::kEnd;
    co_return Read::kFailed;
  }
  std::optional<Read> read_buffered(std::string& out) override {
    const auto result = response_->read_buffered(out);
    if (!result) return std::nullopt;
    return *result == upstream::UpstreamResponse::Read::kData ? Read::kData : Read::kEnd;
  }
  bool ready() const override { return response_->ready(); }
  bool at_end() const override { return response_->at_end(); }
  upstream::UpstreamFailure failure() const override { return response_->failure(); }

 private:
  std::unique_ptr<upstream::UpstreamResponse> response_;
};

class MockPlayback final : public ProviderAnswer {
 public:
  MockPlayback(net::io_context& io, providers::MockAnswer answer, const providers::MockControls& c)
      : timer_(io), answer_(std::move(answer)), controls_(c) {}
  int status() const override { return answer_.status; }
  bool is_event_stream() const override { return answer_.stream && answer_.status == 200; }
  std::vector<std::pair<std::string, std::string>> headers() const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, value] : answer_.headers) {
      out.emplace_back(lower_copy(name), value);
    }
    return out;
  }
  net::awaitable<Read> read_some(std::string& out) override {
    if (!is_event_stream()) {
      if (body_sent_) co_return Read::kEnd;
      body_sent_ = true;
      out += answer_.body;
      co_return Read::kData;
    }
    if (next_ >= answer_.events.size()) co_return Read::kEnd;
    if (controls_.drop_after >= 0 && next_ >= static_cast<std::size_t>(controls_.drop_after)) {
      co_return Read::kFailed;
    }
    if (next_ > 0 && controls_.chunk_delay_ms > 0) {
      timer_.expires_after(std::chrono::milliseconds(controls_.chunk_delay_ms));
      boost::system::error_code ec;
      co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    out += answer_.events[next_++];
    co_return Read::kData;
  }
  // (The mock's timing and drops live in read_some; it is not on a measured path.)
  std::optional<Read> read_buffered(std::string&) override { return std::nullopt; }
  bool ready() const override { return next_ == 0 || controls_.chunk_delay_ms <= 0 || at_end(); }
  bool at_end() const override {
    return is_event_stream() ? next_ >= answer_.events.size() : body_sent_;
  }
  upstream::UpstreamFailure failure() const override {
    return {
        upstream::UpstreamFailure::Kind::kClosed, "mock provider dropped the stream as asked", {}};
  }

 private:
  net::steady_timer timer_;
  providers::MockAnswer answer_;
  providers::MockControls controls_;
  std::size_t next_ = 0;
  bool body_sent_ = false;
};

class LimitedAnswer final : public ProviderAnswer {
 public:
  LimitedAnswer(std::unique_ptr<ProviderAnswer> inner, const AnswerLimits& limits)
      : inner_(std::move(inner)),
        limits_(limits),
        deadline_(limits.clock->steady() + limits.max_duration) {}
  int status() const override { return inner_->status(); }
  bool is_event_stream() const override { return inner_->is_event_stream(); }
  std::vector<std::pair<std::string, std::string>> headers() const override {
    return inner_->headers();
  }
  net::awaitable<Read> read_some(std::string& out) override {
    if (exceeded_) co_return Read::kFailed;
    const std::size_t before = out.size();
    const Read r = co_await inner_->read_some(out);
    co_return checked(r, out.size() - before);
  }
  std::optional<Read> read_buffered(std::string& out) override {
    if (exceeded_) return Read::kFailed;
    const std::size_t before = out.size();
    const auto r = inner_->read_buffered(out);
    if (!r) return std::nullopt;
    return checked(*r, out.size() - before);
  }
  bool ready() const override { return exceeded_ || inner_->ready(); }
  bool at_end() const override { return !exceeded_ && inner_->at_end(); }
  upstream::UpstreamFailure failure() const override {
    return exceeded_ ? *exceeded_ : inner_->failure();
  }

 private:
  // A read that gave `added` bytes, held against the limits.
  Read checked(Read r, std::size_t added) {
    if (r != Read::kData) return r;
    bytes_ += added;
    if (bytes_ > limits_.max_bytes) {
      return fail("the answer exceeded upstream.max_stream_bytes (" +
                  std::to_string(limits_.max_bytes) + " bytes)");
    }
    if (limits_.clock->steady() > deadline_) {
      return fail("the answer exceeded upstream.max_stream_duration (" +
                  std::to_string(limits_.max_duration.count() / 1000) + "s)");
    }
    return Read::kData;
  }

  Read fail(std::string detail) {
    exceeded_ = upstream::UpstreamFailure{
        upstream::UpstreamFailure::Kind::kTooLarge, std::move(detail), {}};
    return Read::kFailed;
  }

  std::unique_ptr<ProviderAnswer> inner_;
  AnswerLimits limits_;
  std::chrono::steady_clock::time_point deadline_;
  std::uint64_t bytes_ = 0;
  std::optional<upstream::UpstreamFailure> exceeded_;
};

}  // namespace

std::unique_ptr<ProviderAnswer> limit_answer(std::unique_ptr<ProviderAnswer> answer,
                                             const AnswerLimits& limits) {
  return std::make_unique<LimitedAnswer>(std::move(answer), limits);
}

std::unique_ptr<ProviderAnswer> wrap_upstream(
    std::unique_ptr<upstream::UpstreamResponse> response) {
  return std::make_unique<UpstreamAnswer>(std::move(response));
}

std::unique_ptr<ProviderAnswer> play_mock(net::io_context& io, providers::MockAnswer answer,
                                          const providers::MockControls& controls) {
  return std::make_unique<MockPlayback>(io, std::move(answer), controls);
}

net::awaitable<bool> read_whole(ProviderAnswer& answer, std::string& out, std::uint64_t limit,
                                upstream::UpstreamFailure& failure) {
  for (;;) {
    auto r = ProviderAnswer::Read::kEnd;
    if (const auto now = answer.read_buffered(out)) {
      r = *now;
    } else {
      r = co_await answer.read_some(out);
    }
    if (r == ProviderAnswer::Read::kEnd) co_return true;
    if (r == ProviderAnswer::Read::kFailed) {
      failure = answer.failure();
      co_return false;
    }
    if (out.size() > limit) {
      failure = {upstream::UpstreamFailure::Kind::kTooLarge,
                 "answer larger than " + std::to_string(limit) + " bytes"};
      co_return false;
    }
  }
}

}  // namespace aigw::gateway
