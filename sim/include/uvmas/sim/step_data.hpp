#pragma once
/// \file
/// What a mosaik step hands a simulator and what get_data answers, kept flat:
/// `Inputs` and `OutputRequest` are rows of views (over a decoded request
/// Value, or over the names and values read straight off mosaik's frame),
/// `OutputData` builds the reply in the shape it is sent.

#include <uvmas/codecs/value.hpp>
#include <uvmas/sim/detail/string_index.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace uvmas::sim {

namespace detail {
class RequestReader;
struct ReplyWriter;
}

/// mosaik's integer time: the number of steps of `time_resolution` seconds.
using Time = std::int64_t;

namespace detail {
/// mosaik's argument of a step or get_data: as it arrived (a Value), or read
/// off the wire into flat storage (`flat`: the names back to back in `text`),
/// with the Value built only when asked for.
struct WireArgument {
  bool flat = false;
  mutable bool built = false;
  mutable Value value;
  std::vector<char> text;

  /// The Value: as it arrived, or `build()`'s result, built once.
  template <class Build>
  const Value& get(Build build) const {
    if (flat && !built) {
      value = build();
      built = true;
    }
    return value;
  }
  /// Empty, keeping the capacity of `text`.
  void clear() noexcept {
    flat = built = false;
    value = Value();
    text.clear();
  }
};
}  // namespace detail

/// One value a step delivered: the entity `source` (a full id such as
/// "Ramp.Ramp_0") sent `value` to attribute `attr` of our entity `eid`.
/// Views into the Inputs it came from.
struct Input {
  std::string_view eid;
  std::string_view attr;
  std::string_view source;
  const Value& value;
};

/// A step's inputs: one Input per value, grouped by entity and by attribute
/// in the order mosaik sent them (its `{eid: {attr: {source: value}}}`).
/// Entities without inputs are absent. The rows point into storage this
/// object holds (the decoded request, or the names and values the adapter
/// read off mosaik's frame), so they stay valid as long as it does.
///
///     for (const sim::Input& in : inputs) total[in.eid] += in.value.as_double();
///     for (const sim::Input& in : inputs.find(eid, "temp")) use(in.source, in.value);
class Inputs {
 public:
  using iterator = std::vector<Input>::const_iterator;

  /// No inputs.
  Inputs() = default;
  /// Takes mosaik's step argument `{eid: {attr: {source: value}}}`; a part of
  /// another shape is a TypeError naming it.
  explicit Inputs(Value inputs);
  Inputs(const Inputs& other);
  Inputs& operator=(const Inputs& other);
  Inputs(Inputs&& other) noexcept;
  Inputs& operator=(Inputs&& other) noexcept;
  ~Inputs();

  iterator begin() const noexcept { return rows_.begin(); }
  iterator end() const noexcept { return rows_.end(); }
  /// The number of values (not of entities).
  std::size_t size() const noexcept { return rows_.size(); }
  bool empty() const noexcept { return rows_.empty(); }

  /// Every value entity `eid` received (empty: none). The first lookup
  /// indexes the entities once; later ones cost a hash.
  std::span<const Input> find(std::string_view eid) const;
  /// The values attribute `attr` of `eid` received, one per source (empty: none).
  std::span<const Input> find(std::string_view eid, std::string_view attr) const;

  /// mosaik's argument: as it arrived, or, for inputs read off the wire,
  /// rebuilt from the rows on first use (an entity or attribute that received
  /// no value is not in it).
  const Value& value() const;

 private:
  friend class detail::RequestReader;
  struct Group {
    std::uint32_t begin;
    std::uint32_t end;
  };
  // Where a row's names lie in wire_.text (inputs read off the wire).
  struct Names {
    std::uint32_t eid, eid_size;
    std::uint32_t attr, attr_size;
    std::uint32_t source, source_size;
  };
  void index() const;
  Value build_value() const;
  // Points rows_ at wire_.text, names_ and values_.
  void link();
  // Empty, keeping the capacity of the storage for the next step.
  void clear() noexcept;

  // Read off the wire, the names lie back to back in wire_.text (never
  // reallocated once the rows point into it).
  detail::WireArgument wire_;
  std::vector<Names> names_;
  std::vector<Value> values_;
  std::vector<Input> rows_;
  // Built by the first find(): the rows of each entity, and eid → group.
  mutable std::vector<Group> groups_;
  mutable detail::StringIndex by_eid_;
};

/// What get_data asks for: the attributes wanted of each entity, in mosaik's
/// order (its `{eid: [attr, ...]}`). Views into storage this object holds.
///
///     for (const auto& [eid, attrs] : request)
///       for (std::string_view attr : attrs) data.set(eid, attr, value_of(eid, attr));
class OutputRequest {
 public:
  /// The attributes asked of one entity.
  struct Entity {
    std::string_view eid;
    std::span<const std::string_view> attrs;
  };
  using iterator = std::vector<Entity>::const_iterator;

  /// Nothing asked.
  OutputRequest() = default;
  /// Takes get_data's argument `{eid: [attr, ...]}`; another shape is a TypeError.
  explicit OutputRequest(Value request);
  OutputRequest(const OutputRequest& other);
  OutputRequest& operator=(const OutputRequest& other);
  OutputRequest(OutputRequest&& other) noexcept;
  OutputRequest& operator=(OutputRequest&& other) noexcept;
  ~OutputRequest();

  iterator begin() const noexcept { return entities_.begin(); }
  iterator end() const noexcept { return entities_.end(); }
  /// The number of entities asked.
  std::size_t size() const noexcept { return entities_.size(); }
  bool empty() const noexcept { return entities_.empty(); }
  /// mosaik's argument: as it arrived, or, for a request read off the
  /// wire, rebuilt on first use.
  const Value& value() const;

 private:
  friend class detail::RequestReader;
  struct Span {
    std::uint32_t offset, size;
  };
  struct EntityNames {
    Span eid;
    std::uint32_t first_attr, attrs;
  };
  Value build_value() const;
  // Points attrs_ and entities_ at wire_.text, attr_names_ and entity_names_.
  void link();
  void clear() noexcept;

  // Read off the wire, the names lie back to back in wire_.text.
  detail::WireArgument wire_;
  std::vector<Span> attr_names_;
  std::vector<EntityNames> entity_names_;
  std::vector<std::string_view> attrs_;
  std::vector<Entity> entities_;
};

/// What get_data returns: attribute values by entity, in the order the
/// entities were first named, and for event-based and hybrid simulators
/// optionally the output time of the non-persistent values (default: the
/// step time). Omitting an attribute means "no event"; an entity named with
/// no attribute is sent as `{}`. It is built flat, in the shape mosaik is
/// sent: naming entities in the order of the request costs no lookup.
///
///     sim::OutputData data;
///     data.set("Battery_0", "soc", 0.8);
///     auto e = data.entity("Battery_1");   // {"Battery_1": {}} even if nothing follows
///     e.set("soc", 0.5);
class OutputData {
 public:
  /// The values of one entity; stays usable while its OutputData lives.
  class EntityOutput {
   public:
    /// Sets `attr` (replacing an earlier value of it).
    EntityOutput& set(std::string_view attr, Value value);
    /// The entity's eid.
    std::string_view eid() const;

   private:
    friend class OutputData;
    EntityOutput(OutputData& data, std::size_t index) noexcept : data_(&data), index_(index) {}
    OutputData* data_;
    std::size_t index_;
  };

  OutputData() = default;

  /// Entity `eid`'s values, adding the entity (with none) on first use.
  EntityOutput entity(std::string_view eid);
  /// Sets `attr` of `eid` (replacing an earlier value of it).
  void set(std::string_view eid, std::string_view attr, Value value) { entity(eid).set(attr, std::move(value)); }
  /// The value last set for `attr` of `eid`, or nullptr. O(entities): for checks and tests.
  const Value* find(std::string_view eid, std::string_view attr) const;
  /// Whether `eid` was named. O(entities).
  bool contains(std::string_view eid) const;
  /// True when no entity was named.
  bool empty() const noexcept { return entities_.empty(); }
  /// Room for `n` entities (e.g. the request's size) without growing.
  void reserve(std::size_t n);

  /// The output time of non-persistent values (event-based and hybrid simulators).
  std::optional<Time> time;

  /// mosaik's reply, `{eid: {attr: value}, ["time": t]}`, one entry per
  /// entity however often it was named; leaves this empty.
  Value take();
  /// The same, faster when the entities were named in the order of
  /// `request` (its eids unique, as mosaik sends them): then nothing needs
  /// an index to be merged.
  Value take(const OutputRequest& request);

 private:
  friend struct detail::ReplyWriter;
  static constexpr std::uint32_t none = static_cast<std::uint32_t>(-1);
  // Flat: entities in the order named, each with a chain of its attributes
  // (in the order set) through attrs_; no allocation per entity.
  struct Entity {
    std::string eid;
    std::uint32_t first = none;
    std::uint32_t last = none;
  };
  struct Attr {
    std::string name;
    Value value;
    std::uint32_t next = none;
  };
  void set_attr(std::size_t entity, std::string_view attr, Value&& value);
  // Entities named again after others get their values folded into the first entry.
  void merge_repeats();
  // Folds repeats unless the entities were named in the order of `request`.
  void merge_repeats(const OutputRequest& request);
  Value release();
  void clear() noexcept;

  std::vector<Entity> entities_;
  std::vector<Attr> attrs_;
  std::size_t last_ = detail::StringIndex::none;  // where the last entity() went: the usual next one
};

}  // namespace uvmas::sim
