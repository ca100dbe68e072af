// A value or an ApiError: the return type of every fallible step on the request path.
// (std::expected is C++23; this is the small subset we need.)
#pragma once

#include <utility>
#include <variant>

#include "core/api_error.h"

namespace aigw {

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(ApiError error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const ApiError& error() const { return std::get<1>(v_); }
  ApiError take_error() { return std::move(std::get<1>(v_)); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace aigw
