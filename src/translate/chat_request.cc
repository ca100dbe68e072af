// OpenAI Chat Completions requests: read from chat callers, written for chat providers
// (OpenAI and the many OpenAI-compatible servers).
#include <algorithm>

#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

// ---- reading ----

// A content part of a user message: text, image_url or file (PDF as a data URL).
bool read_content_part(const json::object& c, ir::Part& out) {
  const auto type = str(c, "type");
  out = ir::Part{};
  if (const auto* cc = field(c, "cache_control")) out.cache_control = *cc;
  if (type == "text" || type == "input_text") {
    out.text.assign(str(c, "text"));
    return true;
  }
  if (type == "image_url") {
    out.kind = ir::PartKind::kImage;
    std::string_view url = str(c, "image_url");
    if (const auto* iu = obj(c, "image_url")) url = str(*iu, "url");
    if (!split_data_url(url, out.media_type, out.data)) out.url.assign(url);
    return !url.empty();
  }
  if (type == "file") {
    const auto* f = obj(c, "file");
    if (!f) return false;
    out.kind = ir::PartKind::kDocument;
    return split_data_url(str(*f, "file_data"), out.media_type, out.data);
  }
  return false;  // input_audio and others: no target we write can take them
}

std::vector<ir::Part> read_content(const json::value* content) {
  return read_parts(content, read_content_part);
}

void read_tool_calls(const json::object& m, ir::Message& msg) {
  const auto* calls = arr(m, "tool_calls");
  if (!calls) return;
  for (const auto& c : *calls) {
    if (!c.is_object()) continue;
    const auto* fn = obj(c.as_object(), "function");
    if (!fn) continue;
    ir::Part p;
    p.kind = ir::PartKind::kToolCall;
    p.id.assign(str(c.as_object(), "id"));
    p.name.assign(str(*fn, "name"));
    p.arguments.assign(str(*fn, "arguments", "{}"));
    msg.parts.push_back(std::move(p));
  }
}

void read_message(const json::object& m, ir::Request& req) {
  const auto role = str(m, "role");
  if (role == "system" || role == "developer") {
    for (auto& p : read_content(field(m, "content"))) {
      if (p.kind == ir::PartKind::kText) req.system.push_back(std::move(p));
    }
    return;
  }
  ir::Message msg;
  if (role == "user") {
    msg.parts = read_content(field(m, "content"));
  } else if (role == "assistant") {
    msg.role = ir::Role::kAssistant;
    msg.parts = read_content(field(m, "content"));
    read_tool_calls(m, msg);
  } else if (role == "tool") {
    ir::Part r;
    r.kind = ir::PartKind::kToolResult;
    r.id.assign(str(m, "tool_call_id"));
    r.content = read_content(field(m, "content"));
    msg.parts.push_back(std::move(r));
  } else {
    return;  // the legacy "function" role: no tool call id to pair it with
  }
  req.messages.push_back(std::move(msg));
}

void read_tools(const json::object& body, ir::Request& req) {
  if (const auto* tools = arr(body, "tools")) {
    for (const auto& t : *tools) {
      if (!t.is_object() || str(t.as_object(), "type", "function") != "function") continue;
      const auto* fn = obj(t.as_object(), "function");
      if (!fn) continue;
      ir::Tool tool;
      tool.name.assign(str(*fn, "name"));
      tool.description.assign(str(*fn, "description"));
      if (const auto* p = field(*fn, "parameters")) tool.parameters = *p;
      if (const auto* cc = field(t.as_object(), "cache_control")) tool.cache_control = *cc;
      req.tools.push_back(std::move(tool));
    }
  }
  const auto* choice = field(body, "tool_choice");
  if (choice && choice->is_string()) {
    const std::string_view c = choice->as_string();
    if (c == "auto") req.tool_choice.mode = ir::ToolChoiceMode::kAuto;
    if (c == "none") req.tool_choice.mode = ir::ToolChoiceMode::kNone;
    if (c == "required") req.tool_choice.mode = ir::ToolChoiceMode::kRequired;
  } else if (choice && choice->is_object()) {
    if (const auto* fn = obj(choice->as_object(), "function")) {
      req.tool_choice.mode = ir::ToolChoiceMode::kNamed;
      req.tool_choice.name.assign(str(*fn, "name"));
    }
  }
  if (const auto* p = field(body, "parallel_tool_calls"); p && p->is_bool()) {
    req.parallel_tool_calls = p->as_bool();
  }
}

void read_stop(const json::value* stop, std::vector<std::string>& out) {
  if (!stop) return;
  if (stop->is_string()) out.emplace_back(stop->as_string());
  if (stop->is_array()) {
    for (const auto& s : stop->as_array()) {
      if (s.is_string()) out.emplace_back(s.as_string());
    }
  }
}

// ---- writing ----

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return starts_with(s, p); });
}

// OpenAI's reasoning models take max_completion_tokens and reasoning_effort, and refuse
// max_tokens, temperature and top_p; everything else (and compatible servers) takes the
// classic fields.
bool is_reasoning_model(std::string_view model) {
  if (starts_with(model, "gpt-5-chat")) return false;
  return starts_with_any(model, {"o1", "o3", "o4", "gpt-5"});
}

// Known output ceilings: a larger max_tokens (Claude Code asks 32000) is a 400 from OpenAI.
std::optional<std::int64_t> max_output_for(std::string_view model) {
  if (starts_with_any(model, {"gpt-4o", "chatgpt-4o"})) return 16384;
  if (starts_with(model, "gpt-4.1")) return 32768;
  if (starts_with_any(model, {"gpt-4", "gpt-3.5"})) return 4096;
  if (starts_with(model, "o1-mini")) return 65536;
  if (starts_with_any(model, {"o1", "o3", "o4"})) return 100000;
  if (starts_with(model, "gpt-5")) return 128000;
  return std::nullopt;
}

std::string joined_text(const std::vector<ir::Part>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.kind != ir::PartKind::kText || p.text.empty()) continue;
    if (!out.empty()) out.append("\n\n");
    out.append(p.text);
  }
  return out;
}

json::object write_content_part(const ir::Part& p) {
  if (p.kind == ir::PartKind::kImage) {
    const std::string url = p.url.empty() ? make_data_url(p.media_type, p.data) : p.url;
    return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
  }
  if (p.kind == ir::PartKind::kDocument) {
    return {{"type", "file"},
            {"file",
             {{"filename", "document.pdf"}, {"file_data", make_data_url(p.media_type, p.data)}}}};
  }
  return {{"type", "text"}, {"text", p.text}};
}

// A user message's content: a plain string when it is only text (the widest-understood form).
json::value write_user_content(const std::vector<ir::Part>& parts) {
  const bool only_text = std::all_of(
      parts.begin(), parts.end(), [](const ir::Part& p) { return p.kind == ir::PartKind::kText; });
  if (only_text) return json::string(joined_text(parts));
  json::array out;
  for (const auto& p : parts) out.push_back(write_content_part(p));
  return out;
}

// Tool results become `tool` messages (text only); their images follow in a user message,
// since a tool message cannot carry them.
void write_user(const ir::Message& m, json::array& out) {
  std::vector<ir::Part> rest;
  for (const auto& p : m.parts) {
    if (p.kind != ir::PartKind::kToolResult) {
      if (p.kind != ir::PartKind::kThinking && p.kind != ir::PartKind::kRedactedThinking &&
          p.kind != ir::PartKind::kToolCall) {
        rest.push_back(p);
      }
      continue;
    }
    std::string text = joined_text(p.content);
    if (p.is_error && !text.empty()) text = "Error: " + text;
    out.push_back(json::object{{"role", "tool"}, {"tool_call_id", p.id}, {"content", text}});
    for (const auto& c : p.content) {
      if (c.kind == ir::PartKind::kImage) rest.push_back(c);
    }
  }
  const bool has_content = std::any_of(rest.begin(), rest.end(), [](const ir::Part& p) {
    return p.kind != ir::PartKind::kText || !p.text.empty();
  });
  if (has_content)
    out.push_back(json::object{{"role", "user"}, {"content", write_user_content(rest)}});
}

void write_assistant(const ir::Message& m, json::array& out) {
  json::array calls;
  for (const auto& p : m.parts) {
    if (p.kind != ir::PartKind::kToolCall) continue;
    calls.push_back(json::object{{"id", p.id},
                                 {"type", "function"},
                                 {"function", {{"name", p.name}, {"arguments", p.arguments}}}});
  }
  const std::string text = joined_text(m.parts);  // thinking has no place in chat history
  if (text.empty() && calls.empty()) return;
  json::object msg{{"role", "assistant"},
                   {"content", text.empty() ? json::value(nullptr) : json::value(text)}};
  if (!calls.empty()) msg["tool_calls"] = std::move(calls);
  out.push_back(std::move(msg));
}

json::value write_tool_choice(const ir::ToolChoice& c) {
  switch (c.mode) {
    case ir::ToolChoiceMode::kAuto:
      return "auto";
    case ir::ToolChoiceMode::kNone:
      return "none";
    case ir::ToolChoiceMode::kRequired:
      return "required";
    case ir::ToolChoiceMode::kNamed:
      return json::object{{"type", "function"}, {"function", {{"name", c.name}}}};
    case ir::ToolChoiceMode::kUnset:
      break;
  }
  return nullptr;
}

void write_tools(const ir::Request& req, json::object& out) {
  if (req.tools.empty()) return;  // tool_choice and parallel_tool_calls need tools
  json::array tools;
  for (const auto& t : req.tools) {
    json::object fn{{"name", t.name}};
    if (!t.description.empty()) fn["description"] = t.description;
    fn["parameters"] =
        t.parameters.is_object() ? t.parameters : json::value(json::object{{"type", "object"}});
    tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
  }
  out["tools"] = std::move(tools);
  if (auto choice = write_tool_choice(req.tool_choice); !choice.is_null())
    out["tool_choice"] = choice;
  if (req.parallel_tool_calls) out["parallel_tool_calls"] = *req.parallel_tool_calls;
}

void write_sampling(const ir::Request& req, json::object& out) {
  const bool reasoning_model = is_reasoning_model(req.model);
  if (req.max_tokens) {
    std::int64_t n = *req.max_tokens;
    if (const auto ceiling = max_output_for(req.model)) n = std::min(n, *ceiling);
    out[reasoning_model ? "max_completion_tokens" : "max_tokens"] = n;
  }
  if (reasoning_model) {
    if (req.reasoning.enabled) {
      out["reasoning_effort"] = req.reasoning.effort.empty()
                                    ? effort_for_budget(req.reasoning.budget_tokens.value_or(4096))
                                    : req.reasoning.effort;
    }
  } else {
    if (req.temperature) out["temperature"] = std::clamp(*req.temperature, 0.0, 2.0);
    if (req.top_p) out["top_p"] = *req.top_p;
  }
  if (!req.stop.empty()) {
    json::array stop;
    for (std::size_t i = 0; i < req.stop.size() && i < 4; ++i)
      stop.push_back(json::string(req.stop[i]));
    out["stop"] = std::move(stop);
  }
}

}  // namespace

Result<ir::Request> read_chat_request(const json::object& body) {
  ir::Request req;
  req.model.assign(str(body, "model"));
  const auto* messages = arr(body, "messages");
  if (!messages) return bad_request("messages: expected an array");
  for (const auto& m : *messages) {
    if (m.is_object()) read_message(m.as_object(), req);
  }
  read_tools(body, req);
  req.max_tokens = opt_int(body, "max_completion_tokens");
  if (!req.max_tokens) req.max_tokens = opt_int(body, "max_tokens");
  req.temperature = opt_double(body, "temperature");
  req.top_p = opt_double(body, "top_p");
  read_stop(field(body, "stop"), req.stop);
  req.stream = bool_or(body, "stream");
  const auto effort = str(body, "reasoning_effort");
  if (!effort.empty() && effort != "none") {
    req.reasoning.enabled = true;
    req.reasoning.effort.assign(effort);
  }
  if (const auto* rf = field(body, "response_format")) req.response_format = *rf;
  return req;
}

json::object write_chat_request(const ir::Request& req) {
  json::array messages;
  if (const std::string system = joined_text(req.system); !system.empty()) {
    messages.push_back(json::object{{"role", "system"}, {"content", system}});
  }
  for (const auto& m : req.messages) {
    if (m.role == ir::Role::kUser)
      write_user(m, messages);
    else
      write_assistant(m, messages);
  }
  json::object out{{"model", req.model}, {"messages", std::move(messages)}};
  write_tools(req, out);
  write_sampling(req, out);
  if (req.response_format.is_object()) out["response_format"] = req.response_format;
  if (req.stream) {
    out["stream"] = true;
    out["stream_options"] = {{"include_usage", true}};  // usage is needed for accounting
  }
  return out;
}

}  // namespace aigw::translate::detail
