// Python-like number arithmetic on Values for the roles' sums and products.

#include "roles.hpp"

#include <uvmas/codecs/arithmetic.hpp>
#include <uvmas/core/error.hpp>

namespace uvmas::sim::roles {

namespace {
void check_number(const Value& v) {
  if (!v.is_number()) throw TypeError("expected a number, got " + to_repr(v));
}
}  // namespace

Value add(const Value& a, const Value& b) {
  check_number(a);
  check_number(b);
  return python_add(a, b);
}

Value multiply(const Value& a, const Value& b) {
  check_number(a);
  check_number(b);
  return python_multiply(a, b);
}

Value sum(const SourceValues* values) {
  Value total(0);
  if (values) {
    for (const auto& [src, v] : *values) total = add(total, v);
  }
  return total;
}

EntityInputs inputs_of(const Inputs& inputs, std::string_view eid) {
  EntityInputs out;
  for (const Input& in : inputs.find(eid)) out[std::string(in.attr)].insert_or_assign(std::string(in.source), in.value);
  return out;
}

const SourceValues* find_attr(const EntityInputs& inputs, const std::string& attr) noexcept {
  auto it = inputs.find(attr);
  return it == inputs.end() ? nullptr : &it->second;
}

std::int64_t int_param(const Params& params, const std::string& name, std::int64_t fallback) {
  auto it = params.find(name);
  if (it == params.end()) return fallback;
  if (!it->second.is_int() || it->second.is_big_uint()) {
    throw TypeError(name + " must be an integer, got " + to_repr(it->second));
  }
  return it->second.as_int();
}

}  // namespace uvmas::sim::roles
