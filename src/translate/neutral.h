// Answers written from the neutral form (ir.h) in a caller's dialect, by the same writers and
// stream encoders translated answers go through. The mock provider builds its answers this
// way, so it speaks each dialect exactly as a translated provider does.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "translate/ir.h"
#include "translate/translate.h"

namespace aigw::translate {

// A whole answer (chat, Anthropic Messages or Responses).
boost::json::object write_answer(Dialect dialect, const ir::Response& response,
                                 const RequestContext& ctx);
// A stream: the SSE events the encoder writes for `events`, each framed, one string per event.
std::vector<std::string> write_stream_events(Dialect dialect,
                                             const std::vector<ir::StreamEvent>& events,
                                             const RequestContext& ctx);

}  // namespace aigw::translate
