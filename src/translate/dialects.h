// Internal: each dialect's readers and writers over the neutral form (ir.h). translate.cc
// pairs them into the public converters; a new dialect adds its functions here.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "translate/ir.h"
#include "translate/sse_parser.h"
#include "translate/translate.h"

namespace aigw::translate::detail {

namespace json = boost::json;

// Message content as every dialect allows it: a string (one text part, none when empty) or an
// array of part objects, each read by `read_part(object, part)` (false: the part is skipped).
template <typename ReadPart>
std::vector<ir::Part> read_parts(const json::value* content, ReadPart read_part) {
  std::vector<ir::Part> parts;
  if (!content) return parts;
  if (content->is_string()) {
    ir::Part p;
    p.text.assign(content->as_string());
    if (!p.text.empty()) parts.push_back(std::move(p));
    return parts;
  }
  if (!content->is_array()) return parts;
  for (const auto& item : content->as_array()) {
    ir::Part p;
    if (item.is_object() && read_part(item.as_object(), p)) parts.push_back(std::move(p));
  }
  return parts;
}

// An Anthropic `thinking` or `redacted_thinking` block (in requests and answers alike);
// false for any other type.
bool read_anthropic_thinking(std::string_view type, const json::object& block, ir::Part& p);

// Requests: read in the caller's dialect, written in the provider's.
Result<ir::Request> read_chat_request(const json::object& body);
Result<ir::Request> read_anthropic_request(const json::object& body);
Result<ir::Request> read_responses_request(const json::object& body);
json::object write_chat_request(const ir::Request& req);
json::object write_anthropic_request(const ir::Request& req);
json::object write_gemini_request(const ir::Request& req);

// Whole answers: read in the provider's dialect, written in the caller's.
Result<ir::Response> read_chat_response(const json::object& body);
Result<ir::Response> read_anthropic_response(const json::object& body);
Result<ir::Response> read_gemini_response(const json::object& body);
json::object write_chat_response(const ir::Response& r, const RequestContext& ctx);
json::object write_anthropic_response(const ir::Response& r, const RequestContext& ctx);
json::object write_responses_response(const ir::Response& r, const RequestContext& ctx);

// Usage objects of each dialect (usage_reader.cc: one table says where each count sits).
ir::TokenUsage read_usage(Dialect dialect, const json::object& usage);
// The same from the usage object's text, without a tree; nullopt when the text is not plain
// enough for that (escapes, non-ASCII, counts that are not small integers, a key twice...) or
// not JSON: then the caller parses it and uses read_usage.
std::optional<ir::TokenUsage> scan_usage(Dialect dialect, std::string_view usage_text);
// The same for the object `text` starts with; `rest` is the text after it.
std::optional<ir::TokenUsage> scan_usage_prefix(Dialect dialect, std::string_view text,
                                                std::string_view& rest);
ir::TokenUsage read_chat_usage(const json::object& usage);
ir::TokenUsage read_anthropic_usage(const json::object& usage);
ir::TokenUsage read_gemini_usage(const json::object& usage_metadata);
json::object write_chat_usage(const ir::TokenUsage& u);
json::object write_anthropic_usage(const ir::TokenUsage& u);
json::object write_responses_usage(const ir::TokenUsage& u);

// Streams: a decoder turns provider SSE events into neutral events; an encoder turns neutral
// events into the caller's SSE bytes.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  virtual void decode(const SseEvent& event, std::vector<ir::StreamEvent>& out) = 0;
};

class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;
  virtual void encode(const ir::StreamEvent& event, std::string& out) = 0;
  // The stream broke: an error in the caller's dialect; nothing is written after it.
  virtual void fail(std::string_view type, std::string_view message, std::string& out) = 0;
  // True once the closing events (or an error) were written.
  virtual bool closed() const = 0;
};

// The skeleton every stream encoder shares: nothing is written after the stream closed; the
// answer's id, model and usage are taken from the events; usage updates are kept for the end;
// an error is written once and closes the stream. Each dialect writes the rest (on_event:
// content, finish and done; ensure_started: its opening events; write_error).
class EncoderSkeleton : public StreamEncoder {
 public:
  void encode(const ir::StreamEvent& event, std::string& out) final;
  void fail(std::string_view type, std::string_view message, std::string& out) final;
  bool closed() const final { return closed_; }

 protected:
  EncoderSkeleton(const RequestContext& ctx, std::string id)
      : ctx_(ctx), id_(std::move(id)), model_(ctx.model) {}
  virtual void ensure_started(std::string& out) = 0;
  virtual void on_event(const ir::StreamEvent& event, std::string& out) = 0;
  virtual void write_error(std::string_view type, std::string_view message, std::string& out) = 0;
  // The provider's id for the answer (Responses keeps the first, in its own form).
  virtual void adopt_id(std::string_view provider_id) { id_.assign(provider_id); }
  // A start event may have changed the id or the model: forget what was built from them.
  virtual void identity_changed() {}

  RequestContext ctx_;
  std::string id_;
  std::string model_;
  ir::TokenUsage usage_;
  bool closed_ = false;
};

std::unique_ptr<StreamDecoder> make_chat_decoder();
std::unique_ptr<StreamDecoder> make_anthropic_decoder();
std::unique_ptr<StreamDecoder> make_gemini_decoder();
std::unique_ptr<StreamEncoder> make_chat_encoder(const RequestContext& ctx);
std::unique_ptr<StreamEncoder> make_anthropic_encoder(const RequestContext& ctx);
std::unique_ptr<StreamEncoder> make_responses_encoder(const RequestContext& ctx);

// Responses shapes shared by the answer and stream writers (responses_response.cc).
std::string responses_id(std::string_view provider_id, const RequestContext& ctx);
std::string responses_item_id(std::string_view prefix, std::string_view response_id, int index);
json::object responses_envelope(std::string_view id, std::string_view model,
                                std::string_view status, const RequestContext& ctx);
json::object responses_message_item(std::string_view id, std::string_view text,
                                    std::string_view status);
json::object responses_reasoning_item(std::string_view id, std::string_view text,
                                      std::string_view encrypted, bool done);
json::object responses_function_item(std::string_view id, std::string_view call_id,
                                     std::string_view name, std::string_view arguments,
                                     std::string_view status);
void set_responses_status(json::object& response, ir::StopReason stop);

// Stop reasons in each dialect's words.
std::string_view chat_finish_reason(ir::StopReason s);
ir::StopReason read_chat_finish_reason(std::string_view s);
std::string_view anthropic_stop_reason(ir::StopReason s);
ir::StopReason read_anthropic_stop_reason(std::string_view s);

// Images: data URLs and plain URLs.
bool split_data_url(std::string_view url, std::string& media_type, std::string& data);
std::string make_data_url(std::string_view media_type, std::string_view data);

// Thinking effort <-> budget, shared by the writers that need one or the other.
std::int64_t budget_for_effort(std::string_view effort);
std::string effort_for_budget(std::int64_t budget);

}  // namespace aigw::translate::detail
