// Google Gemini generateContent requests written from the neutral form: contents/parts,
// systemInstruction, functionDeclarations with schemas trimmed to what Gemini accepts.
#include <algorithm>
#include <map>

#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

constexpr std::size_t kMaxStopSequences = 5;

// Gemini's Schema is an OpenAPI subset: unknown keywords ($schema, additionalProperties,
// $ref, ...) are a 400, so only these are kept.
constexpr std::string_view kSchemaKeys[] = {
    "type",      "format",    "title",      "description", "nullable",      "enum",
    "maxItems",  "minItems",  "properties", "required",    "minProperties", "maxProperties",
    "minLength", "maxLength", "pattern",    "example",     "anyOf",         "propertyOrdering",
    "default",   "items",     "minimum",    "maximum"};

json::value clean_schema(const json::value& v);

json::object clean_schema_object(const json::object& in) {
  json::object out;
  for (const auto& kv : in) {
    const std::string_view key = kv.key();
    if (key == "const") {
      out["enum"] = json::array{kv.value()};
      if (kv.value().is_string() && !in.contains("type")) out["type"] = "string";
      continue;
    }
    if (key == "enum" && kv.value().is_array()) {
      // Gemini enums are strings only; a null member is expressed by nullable.
      json::array values;
      for (const auto& e : kv.value().as_array()) {
        if (e.is_string()) values.push_back(e);
      }
      out[key] = std::move(values);
      continue;
    }
    if (std::find(std::begin(kSchemaKeys), std::end(kSchemaKeys), key) == std::end(kSchemaKeys))
      continue;
    if (key == "properties" && kv.value().is_object()) {
      json::object props;
      for (const auto& p : kv.value().as_object()) props[p.key()] = clean_schema(p.value());
      out[key] = std::move(props);
    } else if (key == "items") {
      out[key] = clean_schema(kv.value());
    } else if (key == "anyOf" && kv.value().is_array()) {
      json::array any;
      for (const auto& a : kv.value().as_array()) any.push_back(clean_schema(a));
      out[key] = std::move(any);
    } else {
      out[key] = kv.value();
    }
  }
  // JSON Schema's ["string", "null"] is Gemini's type + nullable.
  if (auto* type = out.if_contains("type"); type && type->is_array()) {
    json::value first = "string";
    for (const auto& t : type->as_array()) {
      if (t.is_string() && t.as_string() == "null")
        out["nullable"] = true;
      else if (t.is_string())
        first = t;
    }
    out["type"] = first;
  }
  // String formats other than enum and date-time are refused.
  if (const auto fmt = str(out, "format");
      !fmt.empty() && str(out, "type") == "string" && fmt != "enum" && fmt != "date-time") {
    out.erase("format");
  }
  return out;
}

json::value clean_schema(const json::value& v) {
  return v.is_object() ? json::value(clean_schema_object(v.as_object())) : v;
}

// Gemini needs the function name on a result; chat and Responses only give the call id.
using CallNames = std::map<std::string, std::string>;

json::object write_media(const ir::Part& p) {
  if (!p.url.empty()) {
    std::string mime = "image/jpeg";
    if (p.url.ends_with(".png")) mime = "image/png";
    if (p.url.ends_with(".webp")) mime = "image/webp";
    if (p.url.ends_with(".gif")) mime = "image/gif";
    if (p.url.ends_with(".pdf")) mime = "application/pdf";
    return {{"fileData", {{"mimeType", mime}, {"fileUri", p.url}}}};
  }
  return {{"inlineData", {{"mimeType", p.media_type}, {"data", p.data}}}};
}

json::object write_result(const ir::Part& p, const CallNames& names) {
  std::string text;
  for (const auto& c : p.content) {
    if (c.kind == ir::PartKind::kText) text.append(c.text);
  }
  // A JSON object result is passed as is; anything else is wrapped, since `response` must be
  // an object: under "output", or "error" for a failed call (the keys Gemini documents).
  json::value parsed = parse_or_null(text);
  json::object response;
  if (parsed.is_object() && !p.is_error)
    response = std::move(parsed.as_object());
  else
    response[p.is_error ? "error" : "output"] = text;
  const auto it = names.find(p.id);
  return {{"functionResponse",
           {{"name", it == names.end() ? p.name : it->second}, {"response", std::move(response)}}}};
}

// Null for parts Gemini cannot take back (thinking: its signatures are Gemini's own).
json::value write_part(const ir::Part& p, const CallNames& names) {
  switch (p.kind) {
    case ir::PartKind::kText:
      if (p.text.empty()) return nullptr;
      return json::object{{"text", p.text}};
    case ir::PartKind::kImage:
    case ir::PartKind::kDocument:
      return write_media(p);
    case ir::PartKind::kToolCall: {
      json::value args = parse_or_null(p.arguments);
      if (!args.is_object()) args = json::object{};
      return json::object{{"functionCall", {{"name", p.name}, {"args", std::move(args)}}}};
    }
    case ir::PartKind::kToolResult:
      return write_result(p, names);
    case ir::PartKind::kThinking:
    case ir::PartKind::kRedactedThinking:
      break;
  }
  return nullptr;
}

json::array write_contents(const ir::Request& req) {
  CallNames names;
  json::array out;
  // Gemini 3 refuses replayed function calls without a thought signature; history translated
  // from another dialect has none, and this is the documented marker for that case.
  const bool needs_signature = starts_with(req.model, "gemini-3");
  for (const auto& m : req.messages) {
    const char* role = m.role == ir::Role::kUser ? "user" : "model";
    json::array parts;
    for (const auto& p : m.parts) {
      if (p.kind == ir::PartKind::kToolCall) names[p.id] = p.name;
      if (auto part = write_part(p, names); !part.is_null()) parts.push_back(std::move(part));
    }
    if (parts.empty()) continue;
    // Parallel function responses belong in one turn, like the calls they answer.
    if (!out.empty() && out.back().as_object().at("role").as_string() == role) {
      auto& prev = out.back().as_object()["parts"].as_array();
      for (auto& p : parts) prev.push_back(std::move(p));
      continue;
    }
    out.push_back(json::object{{"role", role}, {"parts", std::move(parts)}});
  }
  if (needs_signature) {
    for (auto& c : out) {
      for (auto& p : c.as_object()["parts"].as_array()) {
        if (p.as_object().contains("functionCall")) {
          p.as_object()["thoughtSignature"] = "skip_thought_signature_validator";
          break;  // only the first call of a turn carries one
        }
      }
    }
  }
  return out;
}

void write_tools(const ir::Request& req, json::object& out) {
  if (req.tools.empty()) return;
  json::array decls;
  for (const auto& t : req.tools) {
    json::object d{{"name", t.name}};
    if (!t.description.empty()) d["description"] = t.description;
    // An OBJECT without properties is refused: a function without parameters omits them.
    if (t.parameters.is_object()) {
      const auto* props = obj(t.parameters.as_object(), "properties");
      if (props && !props->empty()) d["parameters"] = clean_schema(t.parameters);
    }
    decls.push_back(std::move(d));
  }
  out["tools"] = json::array{json::object{{"functionDeclarations", std::move(decls)}}};
  json::object config;
  switch (req.tool_choice.mode) {
    case ir::ToolChoiceMode::kAuto:
      config = {{"mode", "AUTO"}};
      break;
    case ir::ToolChoiceMode::kNone:
      config = {{"mode", "NONE"}};
      break;
    case ir::ToolChoiceMode::kRequired:
      config = {{"mode", "ANY"}};
      break;
    case ir::ToolChoiceMode::kNamed:
      config = {{"mode", "ANY"},
                {"allowedFunctionNames", json::array{json::string(req.tool_choice.name)}}};
      break;
    case ir::ToolChoiceMode::kUnset:
      return;
  }
  out["toolConfig"] = {{"functionCallingConfig", std::move(config)}};
}

json::object write_generation_config(const ir::Request& req) {
  json::object g;
  if (req.temperature) g["temperature"] = std::clamp(*req.temperature, 0.0, 2.0);
  if (req.top_p) g["topP"] = *req.top_p;
  if (req.top_k) g["topK"] = *req.top_k;
  if (req.max_tokens) g["maxOutputTokens"] = *req.max_tokens;
  if (!req.stop.empty()) {
    json::array stop;
    for (std::size_t i = 0; i < req.stop.size() && i < kMaxStopSequences; ++i) {
      stop.push_back(json::string(req.stop[i]));
    }
    g["stopSequences"] = std::move(stop);
  }
  if (req.reasoning.enabled) {
    const std::int64_t budget =
        req.reasoning.budget_tokens.value_or(budget_for_effort(req.reasoning.effort));
    g["thinkingConfig"] = {{"thinkingBudget", budget}, {"includeThoughts", true}};
  }
  if (req.response_format.is_object()) {
    const auto& rf = req.response_format.as_object();
    const auto type = str(rf, "type");
    if (type == "json_object" || type == "json_schema") g["responseMimeType"] = "application/json";
    const auto* js = obj(rf, "json_schema");
    if (const auto* schema = js ? field(*js, "schema") : nullptr)
      g["responseSchema"] = clean_schema(*schema);
  }
  return g;
}

}  // namespace

json::object write_gemini_request(const ir::Request& req) {
  json::object out{{"contents", write_contents(req)}};
  if (!req.system.empty()) {
    json::array parts;
    for (const auto& p : req.system) {
      if (!p.text.empty()) parts.push_back(json::object{{"text", p.text}});
    }
    out["systemInstruction"] = {{"parts", std::move(parts)}};
  }
  write_tools(req, out);
  if (auto g = write_generation_config(req); !g.empty()) out["generationConfig"] = std::move(g);
  return out;
}

}  // namespace aigw::translate::detail
