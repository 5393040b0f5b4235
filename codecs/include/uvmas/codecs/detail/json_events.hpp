#pragma once
/// \file
/// JSON read and written piece by piece under the JSON codec's rules, for a
/// decoder that takes a few known shapes flat instead of as a Value tree and
/// an encoder that writes them from flat rows (the mosaik adapter's step
/// inputs and get_data replies). Library-internal: not a stable API.

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace uvmas::detail {

/// What read_json reports, in document order. Every callback returns false
/// to stop reading (read_json then returns false).
class JsonEvents {
 public:
  /// How to take a container that opens.
  enum class Open {
    events,  ///< report its elements one by one
    value,   ///< build it as the codec would (`__type__` maps and all) and hand it to value()
    stop,    ///< stop reading
  };

  /// null, a bool or a number, as the codec decodes it.
  virtual bool scalar(Value&& v) = 0;
  /// A string (strictly UTF-8, escapes resolved); the view lives until the call returns.
  virtual bool string(std::string_view s) = 0;
  /// A map key, like string(). Maps reported as events keep repeated keys
  /// (the codec keeps the last value at the first place): the handler decides.
  virtual bool key(std::string_view s) = 0;
  virtual Open start_array() = 0;
  virtual Open start_map() = 0;
  virtual bool end_array() = 0;
  virtual bool end_map() = 0;
  /// A container opened with Open::value, complete.
  virtual bool value(Value&& v) = 0;

 protected:
  ~JsonEvents() = default;
};

/// Reads the JSON `payload` as `Codec(Format::json, ..., {max_depth})` with
/// `serializers` decodes it, reporting it to `events`. True when the whole
/// payload was read and no callback stopped it; false on anything the codec
/// would refuse too (the caller then decodes it the usual way, which names
/// the error) and when a map reported as events has a `__type__` key while
/// `serializers` is set (the codec makes that map an extension object).
bool read_json(std::string_view payload, JsonEvents& events, const Serializers* serializers,
               std::size_t max_depth);

/// Appends `s` as the JSON codec writes text (Python's json.dumps: ASCII
/// only, `\u` and four hex digits for the rest). SerializationError if `s` is not UTF-8.
void append_json_string(std::string& out, std::string_view s);

/// Appends `v` as the JSON codec writes it at nesting level `depth` of a
/// payload (the depth limit counts from the payload's top). Throws what
/// Codec::encode throws, leaving `out` as it was.
void append_json(std::string& out, const Value& v, const Serializers* serializers, std::size_t max_depth,
                 std::size_t depth);

}  // namespace uvmas::detail
