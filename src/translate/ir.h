// The neutral form every dialect is read into and written from: a request, a whole answer and
// stream events. Only what some dialect can express lives here, so a field no target knows is
// dropped by construction rather than passed through.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/usage.h"

namespace aigw::translate::ir {

namespace json = boost::json;

enum class PartKind {
  kText,
  kImage,             // url, or media_type + base64 data
  kDocument,          // a PDF: media_type + base64 data
  kToolCall,          // id, name, arguments (JSON text)
  kToolResult,        // id, content (text and image parts), is_error
  kThinking,          // text + signature (Anthropic's proof, opaque elsewhere)
  kRedactedThinking,  // data
};

struct Part {
  PartKind kind = PartKind::kText;
  std::string text;           // text, thinking text, redacted data
  std::string signature;      // thinking
  std::string url;            // image by URL
  std::string media_type;     // image/document by data
  std::string data;           // base64
  std::string id;             // tool call / result
  std::string name;           // tool call name (tool results: filled when known)
  std::string arguments;      // tool call, JSON text
  std::vector<Part> content;  // tool result
  bool is_error = false;
  json::value cache_control;  // Anthropic prompt caching, kept for Anthropic targets only
};

enum class Role { kUser, kAssistant };

struct Message {
  Role role = Role::kUser;
  std::vector<Part> parts;  // tool results travel in user messages, like Anthropic
};

struct Tool {
  std::string name;
  std::string description;
  json::value parameters;  // JSON Schema object
  json::value cache_control;
};

enum class ToolChoiceMode { kUnset, kAuto, kNone, kRequired, kNamed };

struct ToolChoice {
  ToolChoiceMode mode = ToolChoiceMode::kUnset;
  std::string name;
};

struct Reasoning {
  bool enabled = false;
  std::optional<std::int64_t> budget_tokens;  // Anthropic/Gemini style
  std::string effort;                         // OpenAI style: minimal|low|medium|high
};

struct Request {
  std::string model;
  std::vector<Part> system;  // text parts
  std::vector<Message> messages;
  std::vector<Tool> tools;
  ToolChoice tool_choice;
  std::optional<bool> parallel_tool_calls;
  std::optional<std::int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::int64_t> top_k;
  std::vector<std::string> stop;
  bool stream = false;
  Reasoning reasoning;
  json::value response_format;  // chat-shaped response_format, OpenAI targets only
};

enum class StopReason { kEndTurn, kMaxTokens, kToolUse, kStopSequence, kContentFilter };

struct TokenUsage {
  std::int64_t input = 0;   // all prompt tokens, cached ones included
  std::int64_t output = 0;  // reasoning included
  std::int64_t cache_read = 0;
  std::int64_t cache_creation = 0;  // Anthropic only
  std::int64_t reasoning = 0;
  bool known = false;
};

inline Usage to_usage(const TokenUsage& u) {
  return Usage{u.input, u.output, u.cache_read, u.known};
}

struct Response {
  std::string id;
  std::string model;
  std::vector<Part> content;
  StopReason stop = StopReason::kEndTurn;
  std::string stop_sequence;
  TokenUsage usage;
};

// One step of a stream. Deltas carry the upstream part they belong to, so a writer knows when
// a block ends; tool events also carry the call's position among the answer's tool calls.
enum class EventKind {
  kStart,             // id, model, usage (input as far as known)
  kText,              // text
  kThinking,          // text
  kSignature,         // text = the thinking block's signature
  kRedactedThinking,  // text = data
  kToolStart,         // tool_index, id, name
  kToolArgs,          // tool_index, text = a piece of the arguments JSON
  kUsage,             // usage (fields reported so far; later events overwrite)
  kFinish,            // stop, stop_sequence
  kError,             // text = message, id = error type
  kDone,              // the upstream said the answer is complete
};

struct StreamEvent {
  EventKind kind = EventKind::kText;
  int part = 0;
  int tool_index = 0;
  std::string text;
  std::string id;
  std::string name;
  std::string model;
  TokenUsage usage;
  StopReason stop = StopReason::kEndTurn;
  std::string stop_sequence;

  // Builders: ir::StreamEvent::of(EventKind::kText).with_part(2).with_text("hi").
  static StreamEvent of(EventKind k) {
    StreamEvent e;
    e.kind = k;
    return e;
  }
  StreamEvent&& with_part(int v) && {
    part = v;
    return std::move(*this);
  }
  StreamEvent&& with_tool_index(int v) && {
    tool_index = v;
    return std::move(*this);
  }
  StreamEvent&& with_text(std::string_view v) && {
    text.assign(v);
    return std::move(*this);
  }
  StreamEvent&& with_id(std::string_view v) && {
    id.assign(v);
    return std::move(*this);
  }
  StreamEvent&& with_name(std::string_view v) && {
    name.assign(v);
    return std::move(*this);
  }
  StreamEvent&& with_model(std::string_view v) && {
    model.assign(v);
    return std::move(*this);
  }
  StreamEvent&& with_usage(const TokenUsage& v) && {
    usage = v;
    return std::move(*this);
  }
  StreamEvent&& with_stop(StopReason v) && {
    stop = v;
    return std::move(*this);
  }
  StreamEvent&& with_stop_sequence(std::string_view v) && {
    stop_sequence.assign(v);
    return std::move(*this);
  }
};

}  // namespace aigw::translate::ir
