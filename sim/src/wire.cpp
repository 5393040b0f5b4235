// Conversions between mosaik's JSON shapes and the C++ types of mosaik.hpp.

#include "wire.hpp"

#include "uvmas/core/error.hpp"

#include <utility>

namespace uvmas::sim {

namespace detail {

std::string repr(const Value& v) { return to_repr(v); }

const std::string& text_arg(const Value& v, const char* what) {
  if (!v.is_string()) throw TypeError(std::string(what) + " must be a string, got " + repr(v));
  return v.as_string();
}

Time time_arg(const Value& v, const char* what) {
  if (!v.is_int() || v.is_big_uint()) throw TypeError(std::string(what) + " must be an integer, got " + repr(v));
  return v.as_int();
}

const Map& map_arg(const Value& v, const char* what) {
  if (!v.is_map()) throw TypeError(std::string(what) + " must be a dict, got " + repr(v));
  return v.as_map();
}

Params to_params(const Map& kwargs, std::string_view skip) {
  Params params;
  for (const auto& [key, value] : kwargs) {
    const std::string& name = text_arg(key, "a keyword");
    if (name != skip) params.insert_or_assign(name, value);
  }
  return params;
}

Value strings(const std::vector<std::string>& list) {
  Array out;
  out.reserve(list.size());
  for (const auto& s : list) out.emplace_back(s);
  return Value(std::move(out));
}

Value to_value(const Meta& meta) {
  Map models;
  for (const auto& [name, model] : meta.models) {
    Map m;
    m.emplace_back("public", model.is_public);
    m.emplace_back("params", strings(model.params));
    m.emplace_back("attrs", strings(model.attrs));
    if (model.any_inputs) m.emplace_back("any_inputs", true);
    if (!model.trigger.empty()) m.emplace_back("trigger", strings(model.trigger));
    if (!model.non_trigger.empty()) m.emplace_back("non-trigger", strings(model.non_trigger));
    if (!model.persistent.empty()) m.emplace_back("persistent", strings(model.persistent));
    if (!model.non_persistent.empty()) m.emplace_back("non-persistent", strings(model.non_persistent));
    models.emplace_back(name, Value(std::move(m)));
  }
  Map out;
  out.emplace_back("api_version", meta.api_version);
  out.emplace_back("type", to_string(meta.type));
  out.emplace_back("models", Value(std::move(models)));
  out.emplace_back("extra_methods", strings(meta.extra_methods));
  return Value(std::move(out));
}

Value to_value(const EntityDescription& e) {
  Map m;
  m.emplace_back("eid", e.eid);
  m.emplace_back("type", e.type);
  if (!e.rel.empty()) m.emplace_back("rel", strings(e.rel));
  if (!e.children.empty()) {
    Array children;
    children.reserve(e.children.size());
    for (const auto& c : e.children) children.push_back(to_value(c));
    m.emplace_back("children", Value(std::move(children)));
  }
  if (e.extra_info) m.emplace_back("extra_info", *e.extra_info);
  return Value(std::move(m));
}

std::map<std::string, Value> to_string_map(const Value& v, const char* what) {
  std::map<std::string, Value> out;
  for (const auto& [k, value] : map_arg(v, what)) out.insert_or_assign(text_arg(k, "a key"), value);
  return out;
}

}  // namespace detail

const char* to_string(SimulatorType type) noexcept {
  switch (type) {
    case SimulatorType::time_based:
      return "time-based";
    case SimulatorType::event_based:
      return "event-based";
    case SimulatorType::hybrid:
      return "hybrid";
  }
  return "time-based";
}

}  // namespace uvmas::sim
