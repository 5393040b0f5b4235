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

Inputs::Inputs(Value inputs) : value_(std::move(inputs)) {
  const Map& entities = map_arg(value_, "step inputs");
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

// The rows point into value_, so a copy builds its own.
Inputs::Inputs(const Inputs& other) {
  if (!other.value_.is_null()) *this = Inputs(other.value_);
}

Inputs& Inputs::operator=(const Inputs& other) {
  if (this != &other) *this = Inputs(other);
  return *this;
}

// A moved Value keeps its elements where they are, so the rows stay valid.
Inputs::Inputs(Inputs&& other) noexcept = default;
Inputs& Inputs::operator=(Inputs&& other) noexcept = default;
Inputs::~Inputs() = default;

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

OutputRequest::OutputRequest(Value request) : value_(std::move(request)) {
  const Map& entities = map_arg(value_, "get_data's outputs");
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
  if (!other.value_.is_null()) *this = OutputRequest(other.value_);
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
  Map& attrs = data_->entities_[index_].second.as_map();
  for (auto& [key, old] : attrs) {
    if (key.as_string() == attr) {
      old = std::move(value);
      return *this;
    }
  }
  attrs.emplace_back(std::piecewise_construct, std::forward_as_tuple(attr), std::forward_as_tuple(std::move(value)));
  return *this;
}

std::string_view OutputData::EntityOutput::eid() const { return data_->entities_[index_].first.as_string(); }

OutputData::EntityOutput OutputData::entity(std::string_view eid) {
  // Repeats are merged by take(): no lookup here, only the common case of
  // several attributes of one entity in a row.
  if (last_ != StringIndex::none && entities_[last_].first.as_string() == eid) return EntityOutput(*this, last_);
  entities_.emplace_back(std::piecewise_construct, std::forward_as_tuple(eid), std::forward_as_tuple(Map()));
  last_ = entities_.size() - 1;
  return EntityOutput(*this, last_);
}

const Value* OutputData::find(std::string_view eid, std::string_view attr) const {
  // The latest entry of `eid` holding `attr` has its last value.
  for (auto e = entities_.rbegin(); e != entities_.rend(); ++e) {
    if (e->first.as_string() != eid) continue;
    for (const auto& [key, value] : e->second.as_map()) {
      if (key.as_string() == attr) return &value;
    }
  }
  return nullptr;
}

bool OutputData::contains(std::string_view eid) const {
  for (const auto& entry : entities_) {
    if (entry.first.as_string() == eid) return true;
  }
  return false;
}

void OutputData::reserve(std::size_t n) {
  // One more for the output time, which take() appends.
  entities_.reserve(n + 1);
}

void OutputData::merge_repeats() {
  const std::size_t n = entities_.size();
  if (n < 2) return;
  StringIndex first;
  first.reserve(n);
  auto key_of = [this](std::size_t i) -> std::string_view { return entities_[i].first.as_string(); };
  // Kept entries move down over the places of merged ones; m[0, w) are kept.
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = first.insert(key_of(i), w, [&](std::size_t k) { return key_of(k); });
    if (at == w) {
      if (w != i) entities_[w] = std::move(entities_[i]);
      ++w;
      continue;
    }
    EntityOutput kept(*this, at);
    for (auto& [attr, value] : entities_[i].second.as_map()) kept.set(attr.as_string(), std::move(value));
  }
  entities_.erase(entities_.begin() + static_cast<std::ptrdiff_t>(w), entities_.end());
}

Value OutputData::take() {
  merge_repeats();
  return release();
}

Value OutputData::release() {
  Map out = std::exchange(entities_, Map());
  last_ = StringIndex::none;
  if (time) out.emplace_back("time", *std::exchange(time, std::nullopt));
  return Value(std::move(out));
}

Value OutputData::take(const OutputRequest& request) {
  // Named in the request's order (a subsequence of its unique eids), no entity can repeat.
  auto r = request.begin();
  bool in_order = true;
  for (const auto& entry : entities_) {
    const std::string_view eid = entry.first.as_string();
    while (r != request.end() && r->eid != eid) ++r;
    if (r == request.end()) {
      in_order = false;
      break;
    }
    ++r;
  }
  if (!in_order) merge_repeats();
  return release();
}

}  // namespace uvmas::sim
