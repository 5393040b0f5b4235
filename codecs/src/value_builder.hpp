#pragma once
// Builds a Value directly from SAX/visitor events (shared by the JSON and msgpack
// decoders). Containers never recurse on the C++ stack; the depth limit is
// checked before a level is opened.
//
// The elements of every open container wait on one value stack and move into
// their array or map when it closes, so each container is allocated once at
// its exact size (JSON announces no sizes; msgpack's cannot be trusted), and
// the stacks are a per-thread scratch reused by every decode: a decoded frame
// costs one allocation per container and per long string, nothing more.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/value.hpp>

namespace uvmas::detail {

class ValueBuilder {
 public:
  ValueBuilder(const Serializers* serializers, std::size_t max_depth);
  ~ValueBuilder();
  ValueBuilder(const ValueBuilder&) = delete;
  ValueBuilder& operator=(const ValueBuilder&) = delete;

  /// Adds a complete value at the current position (scalars are constructed
  /// in place: a moved Value costs a variant visit to move and one to destroy).
  bool add(Value&& v);
  bool add(std::nullptr_t);
  bool add(bool v);
  bool add(std::int64_t v);
  bool add(std::uint64_t v);
  bool add(double v);
  bool add(std::string&& v);
  bool add(Bytes&& v);

  bool begin_array() { return open(false); }
  bool end_array();
  bool begin_map() { return open(true); }
  bool end_map();

  std::size_t depth() const noexcept { return scratch_->levels.size(); }
  /// Records a decode failure; returns false so event callbacks can `return fail(...)`.
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  const std::string& error() const noexcept { return error_; }
  Value take() { return std::move(root_); }

  /// The reusable stacks (one per thread; a decode running while another one
  /// on the same thread holds them gets its own).
  struct Scratch {
    std::vector<Value> values;
    std::vector<std::size_t> levels;  // where each open container's elements start in `values`
    bool in_use = false;
  };

 private:
  bool open(bool is_map);
  template <class T>
  bool emplace(T&& v);

  const Serializers* serializers_;
  std::size_t max_depth_;
  Scratch own_;
  Scratch* scratch_;
  Value root_;
  std::string error_;
};

}  // namespace uvmas::detail
