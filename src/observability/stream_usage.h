// Reads token usage out of a passthrough SSE stream as it flows by, without changing it:
// OpenAI's final usage chunk, Anthropic's message_start/message_delta, the Responses API's
// response.completed, Gemini's usageMetadata. A stream that breaks keeps what was seen.
#pragma once

#include <string>
#include <string_view>

#include "core/usage.h"

namespace aigw::observability {

class StreamUsage {
 public:
  // Feed the bytes as they arrive; events may be split anywhere.
  void feed(std::string_view bytes);
  const Usage& usage() const { return usage_; }

 private:
  void on_data(std::string_view data);

  std::string pending_;  // an incomplete line
  Usage usage_;
};

// Usage from a whole JSON answer (OpenAI chat/embeddings, Responses, Anthropic, Gemini).
Usage usage_from_json(std::string_view body);

}  // namespace aigw::observability
