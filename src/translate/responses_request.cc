// OpenAI Responses requests (Codex CLI) read into the neutral form: instructions, input items
// (messages, function calls and their outputs, reasoning), flat function tools, reasoning.
#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

bool read_content_part(const json::object& c, ir::Part& p) {
  const auto type = str(c, "type");
  if (type == "input_text" || type == "output_text" || type == "text") {
    p.text.assign(str(c, "text"));
    return !p.text.empty();
  }
  if (type == "refusal") {
    p.text.assign(str(c, "refusal"));
    return !p.text.empty();
  }
  if (type == "input_image") {
    p.kind = ir::PartKind::kImage;
    const auto url = str(c, "image_url");
    if (!split_data_url(url, p.media_type, p.data)) p.url.assign(url);
    return !url.empty();  // file_id images live in OpenAI's storage: no other API can read them
  }
  if (type == "input_file") {
    p.kind = ir::PartKind::kDocument;
    return split_data_url(str(c, "file_data"), p.media_type, p.data);
  }
  return false;
}

std::vector<ir::Part> read_content(const json::value* content) {
  return read_parts(content, read_content_part);
}

// Function calls and reasoning join the assistant turn they belong to.
ir::Message& assistant_turn(ir::Request& req) {
  if (req.messages.empty() || req.messages.back().role != ir::Role::kAssistant) {
    req.messages.push_back(ir::Message{ir::Role::kAssistant, {}});
  }
  return req.messages.back();
}

void read_message_item(const json::object& item, ir::Request& req) {
  const auto role = str(item, "role");
  auto parts = read_content(field(item, "content"));
  if (role == "system" || role == "developer") {
    req.system.insert(req.system.end(), parts.begin(), parts.end());
  } else if (role == "assistant") {
    auto& turn = assistant_turn(req);
    turn.parts.insert(turn.parts.end(), parts.begin(), parts.end());
  } else if (!parts.empty()) {
    req.messages.push_back(ir::Message{ir::Role::kUser, std::move(parts)});
  }
}

// Reasoning items come back with the signature we put in encrypted_content (Anthropic
// thinking); one without summary text was a redacted thinking block.
void read_reasoning_item(const json::object& item, ir::Request& req) {
  ir::Part p;
  p.kind = ir::PartKind::kThinking;
  if (const auto* summary = arr(item, "summary")) {
    for (const auto& s : *summary) {
      if (s.is_object()) p.text.append(str(s.as_object(), "text"));
    }
  }
  p.signature.assign(str(item, "encrypted_content"));
  // Nothing another provider could verify: no content, or OpenAI's own encrypted reasoning
  // (a Fernet token, "gAAAAA…"), which Anthropic would refuse as a bad signature.
  if (p.signature.empty() || starts_with(p.signature, "gAAAAA")) return;
  if (p.text.empty()) {
    p.kind = ir::PartKind::kRedactedThinking;
    p.text = std::move(p.signature);
    p.signature.clear();
  }
  assistant_turn(req).parts.push_back(std::move(p));
}

void read_item(const json::object& item, ir::Request& req) {
  const auto type = str(item, "type", "message");
  if (type == "message") return read_message_item(item, req);
  if (type == "function_call") {
    ir::Part p;
    p.kind = ir::PartKind::kToolCall;
    p.id.assign(str(item, "call_id"));
    p.name.assign(str(item, "name"));
    p.arguments.assign(str(item, "arguments", "{}"));
    return assistant_turn(req).parts.push_back(std::move(p));
  }
  if (type == "function_call_output") {
    ir::Part p;
    p.kind = ir::PartKind::kToolResult;
    p.id.assign(str(item, "call_id"));
    p.content = read_content(field(item, "output"));
    return req.messages.push_back(ir::Message{ir::Role::kUser, {std::move(p)}});
  }
  if (type == "reasoning") return read_reasoning_item(item, req);
  // item_reference, built-in tool calls (web search, file search, computer, local shell):
  // they refer to OpenAI-side state no other provider has.
}

void read_tools(const json::object& body, ir::Request& req) {
  if (const auto* tools = arr(body, "tools")) {
    for (const auto& t : *tools) {
      if (!t.is_object() || str(t.as_object(), "type") != "function") continue;
      const auto& o = t.as_object();
      ir::Tool tool;
      tool.name.assign(str(o, "name"));
      tool.description.assign(str(o, "description"));
      if (const auto* p = field(o, "parameters")) tool.parameters = *p;
      req.tools.push_back(std::move(tool));
    }
  }
  const auto* choice = field(body, "tool_choice");
  if (choice && choice->is_string()) {
    const std::string_view c = choice->as_string();
    if (c == "auto") req.tool_choice.mode = ir::ToolChoiceMode::kAuto;
    if (c == "none") req.tool_choice.mode = ir::ToolChoiceMode::kNone;
    if (c == "required") req.tool_choice.mode = ir::ToolChoiceMode::kRequired;
  } else if (choice && choice->is_object() && str(choice->as_object(), "type") == "function") {
    req.tool_choice.mode = ir::ToolChoiceMode::kNamed;
    req.tool_choice.name.assign(str(choice->as_object(), "name"));
  }
  if (const auto* p = field(body, "parallel_tool_calls"); p && p->is_bool()) {
    req.parallel_tool_calls = p->as_bool();
  }
}

// text.format (flat) becomes chat's response_format (nested json_schema).
void read_text_format(const json::object& body, ir::Request& req) {
  const auto* text = obj(body, "text");
  const auto* format = text ? obj(*text, "format") : nullptr;
  if (!format) return;
  const auto type = str(*format, "type");
  if (type == "json_object") req.response_format = json::object{{"type", "json_object"}};
  if (type != "json_schema") return;
  json::object schema{{"name", str(*format, "name", "response")}};
  if (const auto* s = field(*format, "schema")) schema["schema"] = *s;
  if (const auto* s = field(*format, "strict")) schema["strict"] = *s;
  req.response_format = json::object{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
}

}  // namespace

Result<ir::Request> read_responses_request(const json::object& body) {
  if (!str(body, "previous_response_id").empty() || field(body, "conversation")) {
    return bad_request(
        "previous_response_id and conversation need OpenAI's stored state; this provider is "
        "reached through translation: send the whole input with store: false");
  }
  ir::Request req;
  req.model.assign(str(body, "model"));
  if (const auto instructions = str(body, "instructions"); !instructions.empty()) {
    ir::Part p;
    p.text.assign(instructions);
    req.system.push_back(std::move(p));
  }
  const auto* input = field(body, "input");
  if (input && input->is_string()) {
    read_message_item(json::object{{"role", "user"}, {"content", *input}}, req);
  } else if (input && input->is_array()) {
    for (const auto& item : input->as_array()) {
      if (item.is_object()) read_item(item.as_object(), req);
    }
  } else {
    return bad_request("input: expected a string or an array of items");
  }
  read_tools(body, req);
  req.max_tokens = opt_int(body, "max_output_tokens");
  req.temperature = opt_double(body, "temperature");
  req.top_p = opt_double(body, "top_p");
  req.stream = bool_or(body, "stream");
  if (const auto* r = obj(body, "reasoning")) {
    const auto effort = str(*r, "effort", "medium");
    req.reasoning.enabled = effort != "none";
    req.reasoning.effort.assign(effort);
  }
  read_text_format(body, req);
  return req;
}

}  // namespace aigw::translate::detail
