// Conditions of the conditional strategy (docs/routing.md, "Conditions").
//
// Boost.Regex (not std::regex) because a caller writes the pattern and a caller's body is the
// text: Boost's matcher is not recursive (no stack overflow on long text) and gives up after a
// bounded number of states (BOOST_REGEX_MAX_STATE_COUNT, lowered here), where std::regex
// backtracks without limit on `(a+)+$`.
#define BOOST_REGEX_MAX_STATE_COUNT 1000000
#include "routing/conditions.h"

#include <boost/json.hpp>
#include <boost/regex.hpp>
#include <optional>
#include <string_view>

#include "routing/route_config.h"

namespace aigw::routing {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxPatternBytes = 256;
constexpr std::size_t kMaxRegexTextBytes = 4096;
constexpr int kMaxDepth = 8;

std::optional<Query::Op> op_of(std::string_view name) {
  using Op = Query::Op;
  if (name == "$eq") return Op::kEq;
  if (name == "$ne") return Op::kNe;
  if (name == "$in") return Op::kIn;
  if (name == "$nin") return Op::kNin;
  if (name == "$gt") return Op::kGt;
  if (name == "$gte") return Op::kGte;
  if (name == "$lt") return Op::kLt;
  if (name == "$lte") return Op::kLte;
  if (name == "$regex") return Op::kRegex;
  return std::nullopt;
}

// Numbers compare by value whatever their JSON representation (1 == 1.0).
bool same(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
  return a == b;
}

// <0, 0, >0; nullopt when the two cannot be ordered (different kinds).
std::optional<int> order(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.to_number<double>();
    const double y = b.to_number<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) return a.as_string().subview().compare(b.as_string());
  return std::nullopt;
}

}  // namespace

struct Query::Comparison {
  bool metadata = false;            // metadata.* rather than params.*
  std::vector<std::string> fields;  // the path after the prefix
  Op op = Op::kEq;
  json::value operand;
  std::optional<boost::regex> regex;

  const json::value* lookup(const ConditionInput& input) const {
    const json::object* object = metadata ? input.metadata : input.params;
    if (object == nullptr) return nullptr;
    const json::value* at = nullptr;
    for (const auto& field : fields) {
      if (at != nullptr) {
        if (!at->is_object()) return nullptr;
        object = &at->as_object();
      }
      at = object->if_contains(field);
      if (at == nullptr) return nullptr;
    }
    return at;
  }

  bool matches(const ConditionInput& input) const {
    const json::value* value = lookup(input);
    if (value == nullptr) return op == Op::kNe || op == Op::kNin;
    switch (op) {
      case Op::kEq:
        return same(*value, operand);
      case Op::kNe:
        return !same(*value, operand);
      case Op::kIn:
      case Op::kNin: {
        bool found = false;
        for (const auto& item : operand.as_array()) found = found || same(*value, item);
        return op == Op::kIn ? found : !found;
      }
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte: {
        const auto o = order(*value, operand);
        if (!o) return false;
        if (op == Op::kGt) return *o > 0;
        if (op == Op::kGte) return *o >= 0;
        if (op == Op::kLt) return *o < 0;
        return *o <= 0;
      }
      case Op::kRegex:
        return regex_matches(*value);
    }
    return false;
  }

  bool regex_matches(const json::value& value) const {
    if (!value.is_string() || value.as_string().size() > kMaxRegexTextBytes) return false;
    const auto& text = value.as_string();
    try {
      return boost::regex_search(text.begin(), text.end(), *regex);
    } catch (const std::runtime_error&) {
      return false;  // too complex to decide within the state bound: no match
    }
  }
};

Query::Query() = default;
Query::~Query() = default;

namespace {

Result<std::shared_ptr<Query::Comparison>> parse_comparison(std::string_view field,
                                                            std::string_view op_name,
                                                            const json::value& operand,
                                                            const std::string& where) {
  auto c = std::make_shared<Query::Comparison>();
  std::string_view rest;
  if (field.starts_with("params.")) {
    rest = field.substr(7);
  } else if (field.starts_with("metadata.")) {
    c->metadata = true;
    rest = field.substr(9);
  } else {
    return invalid_config(where, "a condition's field must start with params. or metadata.");
  }
  while (!rest.empty()) {
    const auto dot = rest.find('.');
    const auto part = rest.substr(0, dot);
    if (part.empty()) return invalid_config(where, "an empty segment in the field name");
    c->fields.emplace_back(part);
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (c->fields.empty()) return invalid_config(where, "the field name is empty");
  const auto op = op_of(op_name);
  if (!op) {
    return invalid_config(where, "unknown operator " + std::string(op_name) +
                                     " (expected $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, "
                                     "$regex)");
  }
  c->op = *op;
  c->operand = operand;
  if ((*op == Query::Op::kIn || *op == Query::Op::kNin) && !operand.is_array())
    return invalid_config(where + "." + std::string(op_name), "expected an array");
  if (*op == Query::Op::kRegex) {
    if (!operand.is_string()) return invalid_config(where + ".$regex", "expected a string");
    const auto& pattern = operand.as_string();
    if (pattern.size() > kMaxPatternBytes)
      return invalid_config(where + ".$regex", "longer than 256 characters");
    try {
      c->regex.emplace(pattern.begin(), pattern.end(), boost::regex::ECMAScript);
    } catch (const boost::regex_error& e) {
      return invalid_config(where + ".$regex", std::string("not a valid pattern: ") + e.what());
    }
  }
  return c;
}

}  // namespace

std::optional<ApiError> Query::parse_into(Query& q, const json::object& query,
                                          const std::string& where, int depth) {
  if (depth > kMaxDepth) return invalid_config(where, "nested deeper than 8 levels");
  if (query.empty()) return invalid_config(where, "an empty query");
  for (const auto& [key, value] : query) {
    const std::string at = where + "." + std::string(key);
    if (key == "$and" || key == "$or") {
      if (!value.is_array() || value.as_array().empty())
        return invalid_config(at, "expected a non-empty array of queries");
      auto group = std::make_shared<Query>();
      group->any_ = key == "$or";
      std::size_t i = 0;
      for (const auto& item : value.as_array()) {
        const std::string item_at = at + "[" + std::to_string(i++) + "]";
        if (!item.is_object()) return invalid_config(item_at, "expected an object");
        auto child = std::make_shared<Query>();
        if (auto bad = parse_into(*child, item.as_object(), item_at, depth + 1)) return bad;
        group->children_.push_back(std::move(child));
      }
      q.children_.push_back(std::move(group));
      continue;
    }
    if (key.starts_with("$")) return invalid_config(at, "unknown combinator (expected $and, $or)");
    // {"params.model": "x"} is {"params.model": {"$eq": "x"}}.
    if (!value.is_object()) {
      auto c = parse_comparison(key, "$eq", value, at);
      if (!c) return c.take_error();
      q.comparisons_.push_back(std::move(*c));
      continue;
    }
    if (value.as_object().empty()) return invalid_config(at, "expected an operator");
    for (const auto& [op, operand] : value.as_object()) {
      auto c = parse_comparison(key, op, operand, at);
      if (!c) return c.take_error();
      q.comparisons_.push_back(std::move(*c));
    }
  }
  return std::nullopt;
}

Result<std::shared_ptr<const Query>> Query::parse(const json::value& query,
                                                  const std::string& where) {
  if (!query.is_object()) return invalid_config(where, "expected an object");
  auto q = std::make_shared<Query>();
  if (auto bad = parse_into(*q, query.as_object(), where, 0)) return std::move(*bad);
  return std::shared_ptr<const Query>(std::move(q));
}

bool Query::matches(const ConditionInput& input) const {
  if (any_) {
    for (const auto& child : children_)
      if (child->matches(input)) return true;
    return false;
  }
  for (const auto& c : comparisons_)
    if (!c->matches(input)) return false;
  for (const auto& child : children_)
    if (!child->matches(input)) return false;
  return true;
}

}  // namespace aigw::routing
