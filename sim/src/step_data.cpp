// Inputs, OutputRequest and OutputData: flat rows over mosaik's decoded
// step and get_data requests, and get_data's reply built in its wire shape.

#include "uvmas/sim/step_data.hpp"

#include "wire.hpp"

#include "uvmas/core/error.hpp"

#include <tuple>
#include <utility>

namespace uvmas::sim {

using namespace detail;

// -- Inputs ---------------------------------------------------------------------------------

Inputs::Inputs(Value inputs) {
  wire_.value = std::move(inputs);
  const Map& entities = map_arg(wire_.value, "step inputs");
  // Usually one attribute with one source per entity: one allocation for the rows.
  rows_.reserve(entities.size());
  for (const auto& [eid, attrs] : entities) {
    const std::string_view e = text_arg(eid, "an input's eid");
    for (const auto& [attr, sources] : map_arg(attrs, "an entity's inputs")) {
      const std::string_view a = text_arg(attr, "an input attribute");
      for (const auto& [source, value] : map_arg(sources, "an attribute's inputs")) {
        rows_.push_back(Input{e, a, text_arg(source, "an input's source id"), value});
      }
    }
  }
}

// The rows point into this object's storage, so a copy builds its own.
Inputs::Inputs(const Inputs& other) {
  if (other.wire_.flat) {
    wire_.flat = true;
    wire_.text = other.wire_.text;
    names_ = other.names_;
    values_ = other.values_;
    link();
  } else if (!other.wire_.value.is_null()) {
    *this = Inputs(other.wire_.value);
  }
}

Inputs& Inputs::operator=(const Inputs& other) {
  if (this != &other) *this = Inputs(other);
  return *this;
}

// A moved Value keeps its elements where they are, so the rows stay valid.
Inputs::Inputs(Inputs&& other) noexcept = default;
Inputs& Inputs::operator=(Inputs&& other) noexcept = default;
Inputs::~Inputs() = default;

void Inputs::link() {
  rows_.clear();
  rows_.reserve(names_.size());
  const char* text = wire_.text.data();
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const Names& n = names_[i];
    rows_.push_back(Input{std::string_view(text + n.eid, n.eid_size), std::string_view(text + n.attr, n.attr_size),
                          std::string_view(text + n.source, n.source_size), values_[i]});
  }
}

void Inputs::clear() noexcept {
  wire_.clear();
  names_.clear();
  values_.clear();
  rows_.clear();
  groups_.clear();
  by_eid_.clear();
}

const Value& Inputs::value() const { return wire_.get([this] { return build_value(); }); }

Value Inputs::build_value() const {
  // One entity's rows are adjacent and view the same names, as are one attribute's.
  Map entities;
  for (std::size_t i = 0; i < rows_.size();) {
    Map attrs;
    std::size_t j = i;
    while (j < rows_.size() && rows_[j].eid.data() == rows_[i].eid.data()) {
      Map sources;
      std::size_t k = j;
      while (k < rows_.size() && rows_[k].eid.data() == rows_[i].eid.data() &&
             rows_[k].attr.data() == rows_[j].attr.data()) {
        sources.emplace_back(rows_[k].source, rows_[k].value);
        ++k;
      }
      attrs.emplace_back(rows_[j].attr, Value(std::move(sources)));
      j = k;
    }
    entities.emplace_back(rows_[i].eid, Value(std::move(attrs)));
    i = j;
  }
  return Value(std::move(entities));
}

void Inputs::index() const {
  if (!groups_.empty() || rows_.empty()) return;
  // One entity's rows are adjacent and view the same key.
  for (std::size_t i = 0; i < rows_.size();) {
    std::size_t j = i + 1;
    while (j < rows_.size() && rows_[j].eid.data() == rows_[i].eid.data()) ++j;
    groups_.push_back(Group{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j)});
    i = j;
  }
  by_eid_.reserve(groups_.size());
  auto key_of = [this](std::size_t g) { return rows_[groups_[g].begin].eid; };
  for (std::size_t g = 0; g < groups_.size(); ++g) by_eid_.insert(key_of(g), g, key_of);
}

std::span<const Input> Inputs::find(std::string_view eid) const {
  index();
  const std::size_t g = by_eid_.find(eid, [this](std::size_t i) { return rows_[groups_[i].begin].eid; });
  if (g == StringIndex::none) return {};
  return std::span<const Input>(rows_).subspan(groups_[g].begin, groups_[g].end - groups_[g].begin);
}

std::span<const Input> Inputs::find(std::string_view eid, std::string_view attr) const {
  const std::span<const Input> entity = find(eid);
  std::size_t i = 0;
  while (i < entity.size() && entity[i].attr != attr) ++i;
  std::size_t j = i;
  while (j < entity.size() && entity[j].attr.data() == entity[i].attr.data()) ++j;
  return entity.subspan(i, j - i);
}

// -- OutputRequest --------------------------------------------------------------------------

OutputRequest::OutputRequest(Value request) {
  wire_.value = std::move(request);
  const Map& entities = map_arg(wire_.value, "get_data's outputs");
  // Checked and counted first, so the attribute views land in one block that never moves.
  std::size_t count = 0;
  for (const auto& [eid, attrs] : entities) {
    if (!attrs.is_array()) throw TypeError("the attributes asked of " + repr(eid) + " must be a list");
    text_arg(eid, "an eid");
    for (const auto& a : attrs.as_array()) text_arg(a, "an attribute");
    count += attrs.as_array().size();
  }
  attrs_.reserve(count);
  entities_.reserve(entities.size());
  for (const auto& [eid, attrs] : entities) {
    const std::size_t first = attrs_.size();
    for (const auto& a : attrs.as_array()) attrs_.emplace_back(a.as_string());
    entities_.push_back(Entity{eid.as_string(), std::span<const std::string_view>(attrs_).subspan(first)});
  }
}

OutputRequest::OutputRequest(const OutputRequest& other) {
  if (other.wire_.flat) {
    wire_.flat = true;
    wire_.text = other.wire_.text;
    attr_names_ = other.attr_names_;
    entity_names_ = other.entity_names_;
    link();
  } else if (!other.wire_.value.is_null()) {
    *this = OutputRequest(other.wire_.value);
  }
}

void OutputRequest::link() {
  const char* text = wire_.text.data();
  attrs_.clear();
  attrs_.reserve(attr_names_.size());
  for (const Span& a : attr_names_) attrs_.emplace_back(text + a.offset, a.size);
  entities_.clear();
  entities_.reserve(entity_names_.size());
  for (const EntityNames& e : entity_names_) {
    entities_.push_back(Entity{std::string_view(text + e.eid.offset, e.eid.size),
                               std::span<const std::string_view>(attrs_).subspan(e.first_attr, e.attrs)});
  }
}

void OutputRequest::clear() noexcept {
  wire_.clear();
  attr_names_.clear();
  entity_names_.clear();
  attrs_.clear();
  entities_.clear();
}

const Value& OutputRequest::value() const { return wire_.get([this] { return build_value(); }); }

Value OutputRequest::build_value() const {
  Map entities;
  entities.reserve(entities_.size());
  for (const Entity& e : entities_) {
    Array attrs(e.attrs.begin(), e.attrs.end());
    entities.emplace_back(e.eid, Value(std::move(attrs)));
  }
  return Value(std::move(entities));
}

OutputRequest& OutputRequest::operator=(const OutputRequest& other) {
  if (this != &other) *this = OutputRequest(other);
  return *this;
}

OutputRequest::OutputRequest(OutputRequest&& other) noexcept = default;
OutputRequest& OutputRequest::operator=(OutputRequest&& other) noexcept = default;
OutputRequest::~OutputRequest() = default;

// -- OutputData -----------------------------------------------------------------------------

OutputData::EntityOutput& OutputData::EntityOutput::set(std::string_view attr, Value value) {
  data_->set_attr(index_, attr, std::move(value));
  return *this;
}

std::string_view OutputData::EntityOutput::eid() const { return data_->entities_[index_].eid; }

void OutputData::set_attr(std::size_t entity, std::string_view attr, Value&& value) {
  Entity& e = entities_[entity];
  for (std::uint32_t a = e.first; a != none; a = attrs_[a].next) {
    if (attrs_[a].name == attr) {
      attrs_[a].value = std::move(value);
      return;
    }
  }
  const auto at = static_cast<std::uint32_t>(attrs_.size());
  attrs_.push_back(Attr{std::string(attr), std::move(value), none});
  if (e.last == none) {
    e.first = at;
  } else {
    attrs_[e.last].next = at;
  }
  e.last = at;
}

OutputData::EntityOutput OutputData::entity(std::string_view eid) {
  // Repeats are merged by take(): no lookup here, only the common case of
  // several attributes of one entity in a row.
  if (last_ != StringIndex::none && entities_[last_].eid == eid) return EntityOutput(*this, last_);
  entities_.push_back(Entity{std::string(eid), none, none});
  last_ = entities_.size() - 1;
  return EntityOutput(*this, last_);
}

const Value* OutputData::find(std::string_view eid, std::string_view attr) const {
  // The latest entry of `eid` holding `attr` has its last value.
  for (auto e = entities_.rbegin(); e != entities_.rend(); ++e) {
    if (e->eid != eid) continue;
    for (std::uint32_t a = e->first; a != none; a = attrs_[a].next) {
      if (attrs_[a].name == attr) return &attrs_[a].value;
    }
  }
  return nullptr;
}

bool OutputData::contains(std::string_view eid) const {
  for (const Entity& e : entities_) {
    if (e.eid == eid) return true;
  }
  return false;
}

void OutputData::reserve(std::size_t n) {
  entities_.reserve(n);
  attrs_.reserve(n);
}

void OutputData::merge_repeats() {
  const std::size_t n = entities_.size();
  if (n < 2) return;
  StringIndex first;
  first.reserve(n);
  auto key_of = [this](std::size_t i) -> std::string_view { return entities_[i].eid; };
  // Kept entries move down over the places of merged ones; [0, w) are kept.
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = first.insert(key_of(i), w, key_of);
    if (at == w) {
      if (w != i) entities_[w] = std::move(entities_[i]);
      ++w;
      continue;
    }
    for (std::uint32_t a = entities_[i].first; a != none;) {
      // set_attr may grow attrs_: take the entry's parts out first.
      const std::uint32_t next = attrs_[a].next;
      std::string name = std::move(attrs_[a].name);
      Value value = std::move(attrs_[a].value);
      set_attr(at, name, std::move(value));
      a = next;
    }
  }
  entities_.erase(entities_.begin() + static_cast<std::ptrdiff_t>(w), entities_.end());
  last_ = StringIndex::none;
}

void OutputData::merge_repeats(const OutputRequest& request) {
  // Named in the request's order (a subsequence of its unique eids), no entity can repeat.
  auto r = request.begin();
  for (const Entity& e : entities_) {
    while (r != request.end() && r->eid != e.eid) ++r;
    if (r == request.end()) {
      merge_repeats();
      return;
    }
    ++r;
  }
}

void OutputData::clear() noexcept {
  entities_.clear();
  attrs_.clear();
  last_ = StringIndex::none;
  time.reset();
}

Value OutputData::release() {
  Map out;
  out.reserve(entities_.size() + (time ? 1 : 0));
  for (Entity& e : entities_) {
    Map attrs;
    for (std::uint32_t a = e.first; a != none; a = attrs_[a].next) {
      attrs.emplace_back(std::move(attrs_[a].name), std::move(attrs_[a].value));
    }
    out.emplace_back(std::move(e.eid), Value(std::move(attrs)));
  }
  if (time) out.emplace_back("time", *time);
  clear();
  return Value(std::move(out));
}

Value OutputData::take() {
  merge_repeats();
  return release();
}

Value OutputData::take(const OutputRequest& request) {
  merge_repeats(request);
  return release();
}

}  // namespace uvmas::sim
