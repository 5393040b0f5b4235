// RequestReader: mosaik's step and get_data frames read straight into
// Inputs and OutputRequest rows, without a Value tree in between.

#pragma once

#include "uvmas/sim/mosaik.hpp"
#include "uvmas/sim/step_data.hpp"

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/detail/json_events.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace uvmas::sim::detail {

/// Reads a JSON frame `[0, id, ["step", [time, inputs(, max_advance)], {}]]`
/// or `[0, id, ["get_data", [outputs], {}]]` whose every part has the shape
/// mosaik sends; anything else (another function, keyword arguments, a part
/// of another shape, an eid or a key given twice, bad JSON) is refused, and
/// the channel decodes that frame as usual. Its storage is kept for the next
/// frame.
class RequestReader final : public uvmas::detail::JsonEvents {
 public:
  enum class Function { step, get_data };

  /// Reads `payload`, decoded with `codec`'s limits; true when it took it.
  bool read(std::string_view payload, const Codec& codec);

  /// What the last frame read asked. Valid after read() returned true.
  Function function() const noexcept { return function_; }
  Value& id() noexcept { return id_; }
  Time time() const noexcept { return time_; }
  std::optional<Time> max_advance() const noexcept { return max_advance_; }
  /// The frame's rows, moved out; give them back with recycle().
  Inputs take_inputs() noexcept { return std::move(inputs_); }
  OutputRequest take_outputs() noexcept { return std::move(outputs_); }
  /// Storage of a past step for the next one to fill (no allocation then).
  void recycle(Inputs&& inputs) noexcept;
  void recycle(OutputRequest&& outputs) noexcept;

  // -- JsonEvents ----------------------------------------------------------------------------
  bool scalar(Value&& v) override;
  bool string(std::string_view s) override;
  bool key(std::string_view s) override;
  Open start_array() override;
  Open start_map() override;
  bool end_array() override;
  bool end_map() override;
  bool value(Value&& v) override;

 private:
  struct Span {
    std::uint32_t offset, size;
  };
  /// Tells whether a name was seen before in one group (an entity's
  /// attributes, an attribute's sources, the eids): a scan while the group
  /// is small, a hash index beyond.
  class Unique {
   public:
    void reset() noexcept { count_ = 0; }
    template <class NameOf>
    bool add(std::string_view name, const NameOf& name_of);
    /// The index, once needed, starts with room for `n` names.
    void reserve(std::size_t n) noexcept { expected_ = n; }

   private:
    static constexpr std::size_t scan_limit = 16;
    std::size_t count_ = 0;
    std::size_t expected_ = 0;
    StringIndex index_;
  };

  /// The eids of the last frame of one function that had no eid twice, in
  /// order: mosaik names the same entities in the same order step after
  /// step, and a frame whose eids match them is checked by one scan instead
  /// of a hash lookup per eid (a cache miss each on a large frame).
  struct KnownEids {
    std::vector<std::uint32_t> sizes;
    std::vector<char> text;
  };
  /// Whether the frame's eids are all different (then they become the known ones).
  bool eids_unique();
  static Span append(std::vector<char>& text, std::string_view s);
  bool add_value(Value&& v);
  // The element of the level just opened or read: its place counts up.
  std::size_t next() noexcept { return index_[level_]++; }

  Function function_ = Function::step;
  bool function_known_ = false;
  Value id_;
  Time time_ = 0;
  std::optional<Time> max_advance_;
  Inputs inputs_;
  OutputRequest outputs_;

  // Where the reader is: the open levels (1: the frame, 2: its content,
  // 3: the arguments or keyword arguments, 4: the inputs or outputs dict,
  // 5: an entity's, 6: an attribute's sources) and each one's element count.
  std::size_t level_ = 0;
  std::size_t index_[8] = {};
  bool in_kwargs_ = false;
  bool done_ = false;
  std::size_t payload_size_ = 0;
  std::size_t entities_ = 0;  // of the last frame: what the next one reserves
  // The current entity, attribute and source (steps); attributes of the entity so far.
  Span eid_{}, attr_{}, source_{};
  std::uint32_t attr_rows_ = 0;  // where the current attribute's rows begin
  std::vector<Span> eids_;
  std::vector<Span> attrs_;
  Unique unique_eids_, unique_attrs_, unique_sources_;
  KnownEids known_[2];  // of steps, of get_data
  // How far this frame's eids agree with the known ones (count, bytes).
  bool as_known_ = true;
  std::size_t known_count_ = 0;
  std::size_t known_offset_ = 0;
};

}  // namespace uvmas::sim::detail
