// The `query` of a conditional strategy's condition: MongoDB-style operators over the request's
// body (`params.*`) and its `x-portkey-metadata` (`metadata.*`). Parsed once; matching is pure
// and bounded (a runaway `$regex` gives up and does not match).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace aigw::routing {

// What a condition looks at.
struct ConditionInput {
  const boost::json::object* params = nullptr;    // the request's JSON body
  const boost::json::object* metadata = nullptr;  // the x-portkey-metadata header, parsed
};

class Query {
 public:
  enum class Op { kEq, kNe, kIn, kNin, kGt, kGte, kLt, kLte, kRegex };
  struct Comparison;

  // `where` names the query in errors (e.g. "strategy.conditions[0].query").
  static Result<std::shared_ptr<const Query>> parse(const boost::json::value& query,
                                                    const std::string& where);
  bool matches(const ConditionInput& input) const;

  Query();
  ~Query();

 private:
  bool any_ = false;  // $or: one child is enough; otherwise every child and comparison
  std::vector<std::shared_ptr<const Comparison>> comparisons_;
  std::vector<std::shared_ptr<const Query>> children_;

  static std::optional<ApiError> parse_into(Query& q, const boost::json::object& query,
                                            const std::string& where, int depth);
};

}  // namespace aigw::routing
