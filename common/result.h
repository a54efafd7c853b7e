// Result<T>: a value or an Error, an expected-like type for code that must not throw
// across module boundaries (node_core, sim). std::expected arrives with C++23.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "common/assert.h"

namespace ts {

struct Error {
  std::string message;
};

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E err) : v_(std::move(err)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() {
    TS_ASSERT(ok());
    return std::get<0>(v_);
  }
  const T& value() const {
    TS_ASSERT(ok());
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    TS_ASSERT(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

}  // namespace ts
