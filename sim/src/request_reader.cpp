// mosaik's step and get_data frames read straight into flat rows: the
// names go to one text block, the values to one array, and nothing is
// allocated per entity once a step has sized the storage.

#include "request_reader.hpp"

#include <algorithm>
#include <utility>

namespace uvmas::sim::detail {

namespace {
bool is_int64(const Value& v) noexcept { return v.is_int() && !v.is_big_uint(); }
}  // namespace

template <class NameOf>
bool RequestReader::Unique::add(std::string_view name, const NameOf& name_of) {
  const std::size_t n = count_++;
  if (n < scan_limit) {
    for (std::size_t i = 0; i < n; ++i) {
      if (name_of(i) == name) return false;
    }
    return true;
  }
  if (n == scan_limit) {
    index_.clear();
    index_.reserve(std::max(expected_, 2 * scan_limit));
    for (std::size_t i = 0; i < n; ++i) index_.insert(name_of(i), i, name_of);
  }
  return index_.insert(name, n, name_of) == n;
}

bool RequestReader::eids_unique() {
  KnownEids& known = known_[function_ == Function::step ? 0 : 1];
  if (as_known_ && known_count_ == known.sizes.size()) return true;
  const std::vector<char>& text = function_ == Function::step ? inputs_.wire_.text : outputs_.wire_.text;
  auto name = [&](std::size_t i) { return std::string_view(text.data() + eids_[i].offset, eids_[i].size); };
  unique_eids_.reset();
  for (std::size_t i = 0; i < eids_.size(); ++i) {
    if (!unique_eids_.add(name(i), name)) return false;
  }
  known.sizes.clear();
  known.text.clear();
  for (std::size_t i = 0; i < eids_.size(); ++i) {
    const std::string_view eid = name(i);
    known.sizes.push_back(static_cast<std::uint32_t>(eid.size()));
    known.text.insert(known.text.end(), eid.begin(), eid.end());
  }
  return true;
}

RequestReader::Span RequestReader::append(std::vector<char>& text, std::string_view s) {
  const Span span{static_cast<std::uint32_t>(text.size()), static_cast<std::uint32_t>(s.size())};
  text.insert(text.end(), s.begin(), s.end());
  return span;
}

void RequestReader::recycle(Inputs&& inputs) noexcept { inputs_ = std::move(inputs); }
void RequestReader::recycle(OutputRequest&& outputs) noexcept { outputs_ = std::move(outputs); }

bool RequestReader::read(std::string_view payload, const Codec& codec) {
  if (codec.format() != Format::json) return false;
  inputs_.clear();
  outputs_.clear();
  id_ = Value();
  function_known_ = false;
  max_advance_.reset();
  level_ = 0;
  for (std::size_t& i : index_) i = 0;
  in_kwargs_ = false;
  done_ = false;
  eids_.clear();
  as_known_ = true;
  known_count_ = 0;
  known_offset_ = 0;
  payload_size_ = payload.size();
  if (!uvmas::detail::read_json(payload, *this, codec.serializers(), codec.options().max_depth) || !done_ ||
      !eids_unique()) {
    inputs_.clear();
    outputs_.clear();
    return false;
  }
  if (function_ == Function::step) {
    inputs_.wire_.flat = true;
    inputs_.link();
  } else {
    outputs_.wire_.flat = true;
    outputs_.link();
  }
  entities_ = eids_.size();
  return true;
}

bool RequestReader::scalar(Value&& v) {
  switch (level_) {
    case 1:
      switch (next()) {
        case 0: return is_int64(v) && v.as_int() == 0;  // a request
        case 1:
          if (!v.is_int()) return false;
          id_ = std::move(v);
          return true;
        default: return false;
      }
    case 3:
      if (in_kwargs_ || function_ != Function::step) return false;
      switch (next()) {
        case 0:
          if (!is_int64(v)) return false;
          time_ = v.as_int();
          return true;
        case 2:
          if (!is_int64(v)) return false;
          max_advance_ = v.as_int();
          return true;
        default: return false;
      }
    case 6: return add_value(std::move(v));
    default: return false;
  }
}

bool RequestReader::string(std::string_view s) {
  if (level_ == 2 && index_[2] == 0) {
    ++index_[2];
    if (s == "step") {
      function_ = Function::step;
    } else if (s == "get_data") {
      function_ = Function::get_data;
    } else {
      return false;
    }
    function_known_ = true;
    return true;
  }
  if (level_ == 6) return add_value(Value(std::string(s)));
  if (level_ == 5 && function_ == Function::get_data) {
    outputs_.attr_names_.push_back(OutputRequest::Span{append(outputs_.wire_.text, s).offset,
                                                       static_cast<std::uint32_t>(s.size())});
    ++outputs_.entity_names_.back().attrs;
    return true;
  }
  return false;
}

bool RequestReader::key(std::string_view s) {
  std::vector<char>& text = function_ == Function::step ? inputs_.wire_.text : outputs_.wire_.text;
  auto name = [&text](Span span) { return std::string_view(text.data() + span.offset, span.size); };
  switch (level_) {
    case 4: {
      eid_ = append(text, s);
      eids_.push_back(eid_);
      if (as_known_) {
        const KnownEids& known = known_[function_ == Function::step ? 0 : 1];
        as_known_ = known_count_ < known.sizes.size() && known.sizes[known_count_] == s.size() &&
                    std::string_view(known.text.data() + known_offset_, s.size()) == s;
        ++known_count_;
        known_offset_ += s.size();
      }
      if (function_ == Function::get_data) {
        outputs_.entity_names_.push_back(OutputRequest::EntityNames{
            OutputRequest::Span{eid_.offset, eid_.size}, static_cast<std::uint32_t>(outputs_.attr_names_.size()), 0});
      }
      return true;
    }
    case 5:
      attr_ = append(text, s);
      attrs_.push_back(attr_);
      return unique_attrs_.add(s, [&](std::size_t i) { return name(attrs_[i]); });
    case 6: {
      source_ = append(text, s);
      const auto& rows = inputs_.names_;
      const std::uint32_t first = attr_rows_;
      return unique_sources_.add(s, [&](std::size_t i) {
        const Inputs::Names& n = rows[first + i];
        return std::string_view(text.data() + n.source, n.source_size);
      });
    }
    default: return false;  // keyword arguments: only none is taken
  }
}

bool RequestReader::add_value(Value&& v) {
  inputs_.names_.push_back(Inputs::Names{eid_.offset, eid_.size, attr_.offset, attr_.size, source_.offset, source_.size});
  inputs_.values_.push_back(std::move(v));
  return true;
}

RequestReader::Open RequestReader::start_array() {
  switch (level_) {
    case 0: break;
    case 1:
      if (next() != 2) return Open::stop;
      break;
    case 2:
      if (next() != 1) return Open::stop;
      break;
    case 4:
      if (function_ != Function::get_data) return Open::stop;
      break;
    case 6: return Open::value;
    default: return Open::stop;
  }
  index_[++level_] = 0;
  return Open::events;
}

RequestReader::Open RequestReader::start_map() {
  switch (level_) {
    case 2:
      if (next() != 2) return Open::stop;
      in_kwargs_ = true;
      break;
    case 3:
      if (in_kwargs_ || next() != (function_ == Function::step ? 1 : 0)) return Open::stop;
      // Names are never longer than the payload that carries them.
      if (function_ == Function::step) {
        inputs_.wire_.text.reserve(payload_size_);
        inputs_.names_.reserve(entities_);
        inputs_.values_.reserve(entities_);
      } else {
        outputs_.wire_.text.reserve(payload_size_);
        outputs_.entity_names_.reserve(entities_);
        outputs_.attr_names_.reserve(entities_);
      }
      eids_.reserve(entities_);
      unique_eids_.reserve(entities_);
      break;
    case 4:
      if (function_ != Function::step) return Open::stop;
      attrs_.clear();
      unique_attrs_.reset();
      break;
    case 5:
      if (function_ != Function::step) return Open::stop;
      attr_rows_ = static_cast<std::uint32_t>(inputs_.names_.size());
      unique_sources_.reset();
      break;
    case 6: return Open::value;
    default: return Open::stop;
  }
  index_[++level_] = 0;
  return Open::events;
}

bool RequestReader::end_array() {
  switch (level_) {
    case 1: done_ = index_[1] == 3; break;
    case 2:
      if (index_[2] != 3) return false;
      break;
    case 3:
      if (function_ == Function::step ? index_[3] < 2 : index_[3] != 1) return false;
      break;
    case 5: break;  // get_data's list of attributes
    default: return false;
  }
  --level_;
  return true;
}

bool RequestReader::end_map() {
  if (level_ == 3 && !in_kwargs_) return false;
  if (level_ == 3) in_kwargs_ = false;
  --level_;
  return level_ >= 2;
}

bool RequestReader::value(Value&& v) { return add_value(std::move(v)); }

}  // namespace uvmas::sim::detail
