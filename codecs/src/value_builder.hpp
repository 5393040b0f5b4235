#pragma once
// Builds a Value directly from SAX/visitor events (shared by the JSON and msgpack
// decoders). Containers live on an explicit heap stack, so input nesting never
// recurses on the C++ stack; the depth limit is checked before a level is opened.

#include <string>
#include <vector>

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/value.hpp>

namespace uvmas::detail {

class ValueBuilder {
 public:
  ValueBuilder(const Serializers* serializers, std::size_t max_depth)
      : serializers_(serializers), max_depth_(max_depth) {}

  /// Adds a complete value (scalar or finished container) at the current position.
  bool add(Value v);

  /// Opens an array; `reserve` is a (caller-capped) size hint.
  bool begin_array(std::size_t reserve) {
    if (!check_depth()) return false;
    Frame& f = stack_.emplace_back();
    f.array.reserve(reserve);
    return true;
  }
  bool end_array() {
    Array a = std::move(stack_.back().array);
    stack_.pop_back();
    return add(Value(std::move(a)));
  }
  bool begin_map(std::size_t reserve) {
    if (!check_depth()) return false;
    Frame& f = stack_.emplace_back();
    f.is_map = true;
    f.map.reserve(reserve);
    return true;
  }
  bool end_map();

  std::size_t depth() const noexcept { return stack_.size(); }
  /// Records a decode failure; returns false so event callbacks can `return fail(...)`.
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  const std::string& error() const noexcept { return error_; }
  Value take() { return std::move(root_); }

 private:
  struct Frame {
    bool is_map = false;
    bool expect_key = true;
    Array array;
    Map map;
    Value key;
  };
  bool check_depth() {
    if (stack_.size() >= max_depth_)
      return fail("nesting depth exceeds the limit of " + std::to_string(max_depth_));
    return true;
  }

  const Serializers* serializers_;
  std::size_t max_depth_;
  std::vector<Frame> stack_;
  Value root_;
  std::string error_;
};

}  // namespace uvmas::detail
