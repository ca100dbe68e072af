// Anthropic Messages requests: read from Anthropic callers (Claude Code), written for Anthropic
// providers with the API's own rules (max_tokens required, thinking budget >= 1024, ...).
#include <algorithm>

#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

constexpr std::int64_t kMinThinkingBudget = 1024;

// ---- reading ----

bool read_source(const json::object& block, ir::Part& p) {
  const auto* src = obj(block, "source");
  if (!src) return false;
  const auto type = str(*src, "type");
  if (type == "base64") {
    p.media_type.assign(str(*src, "media_type"));
    p.data.assign(str(*src, "data"));
    return true;
  }
  if (type == "url") {
    p.url.assign(str(*src, "url"));
    return true;
  }
  return false;
}

std::vector<ir::Part> read_blocks(const json::value* content);

bool read_block(const json::object& b, ir::Part& p) {
  const auto type = str(b, "type");
  p = ir::Part{};
  if (const auto* cc = field(b, "cache_control")) p.cache_control = *cc;
  if (type == "text") {
    p.text.assign(str(b, "text"));
    return true;
  }
  if (type == "image") {
    p.kind = ir::PartKind::kImage;
    return read_source(b, p);
  }
  if (type == "document") {
    p.kind = ir::PartKind::kDocument;
    return read_source(b, p) && p.url.empty() && p.media_type == "application/pdf";
  }
  if (type == "tool_use") {
    p.kind = ir::PartKind::kToolCall;
    p.id.assign(str(b, "id"));
    p.name.assign(str(b, "name"));
    const auto* input = field(b, "input");
    p.arguments = input ? json::serialize(*input) : "{}";
    return true;
  }
  if (type == "tool_result") {
    p.kind = ir::PartKind::kToolResult;
    p.id.assign(str(b, "tool_use_id"));
    p.content = read_blocks(field(b, "content"));
    p.is_error = bool_or(b, "is_error");
    return true;
  }
  if (read_anthropic_thinking(type, b, p)) return true;
  return false;  // server tool blocks, citations sources, ...: Anthropic-only features
}

std::vector<ir::Part> read_blocks(const json::value* content) {
  return read_parts(content, read_block);
}

}  // namespace

bool read_anthropic_thinking(std::string_view type, const json::object& b, ir::Part& p) {
  if (type == "thinking") {
    p.kind = ir::PartKind::kThinking;
    p.text.assign(str(b, "thinking"));
    p.signature.assign(str(b, "signature"));
    return true;
  }
  if (type == "redacted_thinking") {
    p.kind = ir::PartKind::kRedactedThinking;
    p.text.assign(str(b, "data"));
    return true;
  }
  return false;
}

namespace {

void read_tools(const json::object& body, ir::Request& req) {
  if (const auto* tools = arr(body, "tools")) {
    for (const auto& t : *tools) {
      if (!t.is_object()) continue;
      const auto& o = t.as_object();
      // Server tools (web_search_…, bash_…, text_editor_…) have a versioned type and no schema.
      if (str(o, "type", "custom") != "custom" || !field(o, "input_schema")) continue;
      ir::Tool tool;
      tool.name.assign(str(o, "name"));
      tool.description.assign(str(o, "description"));
      tool.parameters = *field(o, "input_schema");
      if (const auto* cc = field(o, "cache_control")) tool.cache_control = *cc;
      req.tools.push_back(std::move(tool));
    }
  }
  if (const auto* choice = obj(body, "tool_choice")) {
    const auto type = str(*choice, "type");
    if (type == "auto") req.tool_choice.mode = ir::ToolChoiceMode::kAuto;
    if (type == "any") req.tool_choice.mode = ir::ToolChoiceMode::kRequired;
    if (type == "none") req.tool_choice.mode = ir::ToolChoiceMode::kNone;
    if (type == "tool") {
      req.tool_choice.mode = ir::ToolChoiceMode::kNamed;
      req.tool_choice.name.assign(str(*choice, "name"));
    }
    if (bool_or(*choice, "disable_parallel_tool_use")) req.parallel_tool_calls = false;
  }
}

void read_thinking(const json::object& body, ir::Request& req) {
  const auto* t = obj(body, "thinking");
  if (!t) return;
  const auto type = str(*t, "type");
  if (type == "enabled") {
    req.reasoning.enabled = true;
    req.reasoning.budget_tokens = opt_int(*t, "budget_tokens");
  } else if (type == "adaptive") {
    req.reasoning.enabled = true;
    req.reasoning.effort = "medium";
  }
}

// ---- writing ----

// Claude 3.x before 3.7 has no extended thinking and smaller output limits.
bool is_legacy_claude(std::string_view model) {
  return starts_with(model, "claude-2") || starts_with(model, "claude-instant") ||
         (starts_with(model, "claude-3-") && !starts_with(model, "claude-3-7"));
}

std::int64_t default_max_tokens(std::string_view model) {
  if (starts_with(model, "claude-3-") && !starts_with(model, "claude-3-5") &&
      !starts_with(model, "claude-3-7")) {
    return 4096;  // Claude 3 Haiku/Sonnet/Opus cap output at 4096
  }
  return 8192;
}

json::object write_source(const ir::Part& p) {
  if (!p.url.empty()) return {{"type", "url"}, {"url", p.url}};
  return {{"type", "base64"}, {"media_type", p.media_type}, {"data", p.data}};
}

json::array write_blocks(const std::vector<ir::Part>& parts);

// Null when the part has no Anthropic form (an empty text block is an error there).
json::value write_block(const ir::Part& p) {
  json::object b;
  switch (p.kind) {
    case ir::PartKind::kText:
      if (p.text.empty()) return nullptr;
      b = {{"type", "text"}, {"text", p.text}};
      break;
    case ir::PartKind::kImage:
      b = {{"type", "image"}, {"source", write_source(p)}};
      break;
    case ir::PartKind::kDocument:
      b = {{"type", "document"}, {"source", write_source(p)}};
      break;
    case ir::PartKind::kToolCall: {
      json::value input = parse_or_null(p.arguments);
      if (!input.is_object()) input = json::object{};
      b = {{"type", "tool_use"}, {"id", p.id}, {"name", p.name}, {"input", std::move(input)}};
      break;
    }
    case ir::PartKind::kToolResult:
      b = {{"type", "tool_result"}, {"tool_use_id", p.id}, {"content", write_blocks(p.content)}};
      if (p.is_error) b["is_error"] = true;
      break;
    case ir::PartKind::kThinking:
      // Without Anthropic's signature the API rejects the block: drop it.
      if (p.signature.empty()) return nullptr;
      b = {{"type", "thinking"}, {"thinking", p.text}, {"signature", p.signature}};
      break;
    case ir::PartKind::kRedactedThinking:
      b = {{"type", "redacted_thinking"}, {"data", p.text}};
      break;
  }
  if (!p.cache_control.is_null()) b["cache_control"] = p.cache_control;
  return b;
}

json::array write_blocks(const std::vector<ir::Part>& parts) {
  json::array out;
  for (const auto& p : parts) {
    if (auto b = write_block(p); !b.is_null()) out.push_back(std::move(b));
  }
  return out;
}

// Anthropic wants alternating roles, tool results first in a user turn and thinking first in
// an assistant turn: consecutive same-role messages are merged and their parts ordered.
int part_rank(const ir::Part& p, ir::Role role) {
  if (role == ir::Role::kUser) return p.kind == ir::PartKind::kToolResult ? 0 : 1;
  if (p.kind == ir::PartKind::kThinking || p.kind == ir::PartKind::kRedactedThinking) return 0;
  return p.kind == ir::PartKind::kToolCall ? 2 : 1;
}

json::array write_messages(const std::vector<ir::Message>& messages) {
  std::vector<ir::Message> merged;
  for (const auto& m : messages) {
    // A message with nothing Anthropic can take (an empty reply) must not split a turn.
    if (std::none_of(m.parts.begin(), m.parts.end(),
                     [](const ir::Part& p) { return !write_block(p).is_null(); })) {
      continue;
    }
    if (!merged.empty() && merged.back().role == m.role) {
      merged.back().parts.insert(merged.back().parts.end(), m.parts.begin(), m.parts.end());
    } else {
      merged.push_back(m);
    }
  }
  json::array out;
  for (auto& m : merged) {
    std::stable_sort(m.parts.begin(), m.parts.end(), [&](const ir::Part& a, const ir::Part& b) {
      return part_rank(a, m.role) < part_rank(b, m.role);
    });
    json::array content = write_blocks(m.parts);
    if (content.empty()) continue;
    out.push_back(json::object{{"role", m.role == ir::Role::kUser ? "user" : "assistant"},
                               {"content", std::move(content)}});
  }
  return out;
}

json::value write_system(const std::vector<ir::Part>& system) {
  const bool cached = std::any_of(system.begin(), system.end(),
                                  [](const ir::Part& p) { return !p.cache_control.is_null(); });
  if (!cached && system.size() == 1) return json::string(system.front().text);
  return write_blocks(system);
}

void write_tools(const ir::Request& req, json::object& out) {
  if (req.tools.empty()) return;
  json::array tools;
  for (const auto& t : req.tools) {
    json::object tool{{"name", t.name}};
    if (!t.description.empty()) tool["description"] = t.description;
    tool["input_schema"] =
        t.parameters.is_object() ? t.parameters : json::value(json::object{{"type", "object"}});
    if (!t.cache_control.is_null()) tool["cache_control"] = t.cache_control;
    tools.push_back(std::move(tool));
  }
  out["tools"] = std::move(tools);
  json::object choice;
  switch (req.tool_choice.mode) {
    case ir::ToolChoiceMode::kUnset:
    case ir::ToolChoiceMode::kAuto:
      choice = {{"type", "auto"}};
      break;
    case ir::ToolChoiceMode::kNone:
      choice = {{"type", "none"}};
      break;
    case ir::ToolChoiceMode::kRequired:
      choice = {{"type", "any"}};
      break;
    case ir::ToolChoiceMode::kNamed:
      choice = {{"type", "tool"}, {"name", req.tool_choice.name}};
      break;
  }
  if (req.parallel_tool_calls == false && req.tool_choice.mode != ir::ToolChoiceMode::kNone) {
    choice["disable_parallel_tool_use"] = true;
  }
  if (req.tool_choice.mode != ir::ToolChoiceMode::kUnset ||
      choice.contains("disable_parallel_tool_use")) {
    out["tool_choice"] = std::move(choice);
  }
}

// The thinking budget the request may use, or none: thinking is dropped on models without it,
// for "minimal" effort, with a forced tool (the API refuses both together) and when max_tokens
// leaves no room for Anthropic's 1024-token minimum.
std::optional<std::int64_t> thinking_budget(const ir::Request& req, std::int64_t& max_tokens) {
  const auto& r = req.reasoning;
  if (!r.enabled || is_legacy_claude(req.model) || r.effort == "minimal") return std::nullopt;
  if (req.tool_choice.mode == ir::ToolChoiceMode::kRequired ||
      req.tool_choice.mode == ir::ToolChoiceMode::kNamed) {
    return std::nullopt;
  }
  std::int64_t budget = r.budget_tokens.value_or(budget_for_effort(r.effort));
  budget = std::max(budget, kMinThinkingBudget);
  if (budget < max_tokens) return budget;
  if (!req.max_tokens) {
    max_tokens = budget + default_max_tokens(req.model);  // our default: make room
    return budget;
  }
  budget = std::max(kMinThinkingBudget, max_tokens / 2);
  if (budget >= max_tokens) return std::nullopt;
  return budget;
}

void write_sampling(const ir::Request& req, json::object& out) {
  std::int64_t max_tokens = req.max_tokens.value_or(default_max_tokens(req.model));
  const auto budget = thinking_budget(req, max_tokens);
  out["max_tokens"] = max_tokens;
  if (budget) {
    // With thinking the API refuses temperature, top_k and a narrowed top_p.
    out["thinking"] = {{"type", "enabled"}, {"budget_tokens", *budget}};
  } else {
    // Claude Opus 4.1, Sonnet 4.5 and later refuse temperature and top_p together (a 400);
    // every model takes either alone, so temperature wins.
    if (req.temperature)
      out["temperature"] = std::clamp(*req.temperature, 0.0, 1.0);
    else if (req.top_p)
      out["top_p"] = *req.top_p;
    if (req.top_k) out["top_k"] = *req.top_k;
  }
  json::array stop;
  for (const auto& s : req.stop) {
    // Whitespace-only stop sequences are refused by the API.
    if (s.find_first_not_of(" \t\r\n") != std::string::npos) stop.push_back(json::string(s));
  }
  if (!stop.empty()) out["stop_sequences"] = std::move(stop);
}

}  // namespace

Result<ir::Request> read_anthropic_request(const json::object& body) {
  ir::Request req;
  req.model.assign(str(body, "model"));
  req.system = read_blocks(field(body, "system"));
  const auto* messages = arr(body, "messages");
  if (!messages) return bad_request("messages: expected an array");
  for (const auto& m : *messages) {
    if (!m.is_object()) continue;
    ir::Message msg;
    msg.role = str(m.as_object(), "role") == "assistant" ? ir::Role::kAssistant : ir::Role::kUser;
    msg.parts = read_blocks(field(m.as_object(), "content"));
    req.messages.push_back(std::move(msg));
  }
  read_tools(body, req);
  req.max_tokens = opt_int(body, "max_tokens");
  req.temperature = opt_double(body, "temperature");
  req.top_p = opt_double(body, "top_p");
  req.top_k = opt_int(body, "top_k");
  if (const auto* stop = arr(body, "stop_sequences")) {
    for (const auto& s : *stop) {
      if (s.is_string()) req.stop.emplace_back(s.as_string());
    }
  }
  req.stream = bool_or(body, "stream");
  read_thinking(body, req);
  return req;
}

json::object write_anthropic_request(const ir::Request& req) {
  json::object out{{"model", req.model}};
  write_sampling(req, out);
  if (!req.system.empty()) out["system"] = write_system(req.system);
  out["messages"] = write_messages(req.messages);
  write_tools(req, out);
  if (req.stream) out["stream"] = true;
  return out;
}

}  // namespace aigw::translate::detail
