#include <uvmas/codecs/value.hpp>

#include <string>
#include <utility>

namespace uvmas {

std::string_view Value::kind_name() const noexcept {
  switch (data_.index()) {
    case 0: return "None";
    case 1: return "bool";
    case 2:
    case 3: return "int";
    case 4: return "float";
    case 5: return "str";
    case 6: return "bytes";
    case 7: return "list";
    case 8: return "dict";
    default: return std::get<detail::Box<Extension>>(data_)->type;
  }
}

void Value::throw_kind(std::string_view expected) const {
  if (is_big_uint() && expected == "int") throw ConversionError("expected int in range of int64, got " + to_repr(*this));
  detail::throw_expected(expected, *this);
}

const Value* Value::find(std::string_view key) const noexcept {
  auto m = std::get_if<Map>(&data_);
  if (!m) return nullptr;
  for (const auto& [k, v] : *m) {
    if (auto s = std::get_if<std::string>(&k.data_); s && *s == key) return &v;
  }
  return nullptr;
}

Value* Value::find(std::string_view key) noexcept {
  return const_cast<Value*>(std::as_const(*this).find(key));
}

const Value& Value::at(std::string_view key) const {
  if (!is_map()) throw_kind("dict");
  if (auto v = find(key)) return *v;
  throw ConversionError("missing key " + to_repr(Value(key)));
}

Value& Value::operator[](std::string_view key) {
  if (is_null()) data_ = Map{};
  if (auto v = find(key)) return *v;
  Map& m = as_map();
  m.emplace_back(Value(key), Value());
  return m.back().second;
}

const Value& Value::operator[](std::size_t index) const {
  const Array& a = as_array();
  if (index >= a.size())
    throw ConversionError("index " + std::to_string(index) + " out of range for list of size " +
                          std::to_string(a.size()));
  return a[index];
}

Value& Value::operator[](std::size_t index) { return const_cast<Value&>(std::as_const(*this)[index]); }

std::size_t Value::size() const {
  switch (data_.index()) {
    case 5: return std::get<std::string>(data_).size();
    case 6: return std::get<Bytes>(data_).size();
    case 7: return std::get<Array>(data_).size();
    case 8: return std::get<Map>(data_).size();
    default: throw_kind("list, dict, str or bytes");
  }
}

void Value::push_back(Value v) {
  if (is_null()) data_ = Array{};
  as_array().push_back(std::move(v));
}

}  // namespace uvmas
