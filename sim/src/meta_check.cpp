// The meta checks mosaik 3 would make at start-up (its parse_attrs and name
// rules), made before the meta leaves, so a mistake shows as
// one clear message from the simulator instead of a failure inside mosaik.

#include <uvmas/sim/mosaik.hpp>

#include <uvmas/core/error.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace uvmas::sim {

namespace {

constexpr std::array<std::string_view, 7> reserved_names = {"init",     "create", "setup_done", "step",
                                                           "get_data", "finalize", "stop"};

[[noreturn]] void invalid(const std::string& why) { throw ValueError("invalid meta: " + why); }

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

void check_api_version(const std::string& version) {
  // mosaik splits on '.' and int()s each part; uvmas speaks API 3 only.
  std::size_t parts = 0;
  std::size_t start = 0;
  bool digits_only = !version.empty();
  for (;;) {
    std::size_t dot = version.find('.', start);
    std::string_view part = std::string_view(version).substr(start, dot == std::string::npos ? dot : dot - start);
    if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
      digits_only = false;
    ++parts;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!digits_only || parts < 2 || parts > 3)
    invalid("api_version '" + version + "' is not major.minor[.patch] in digits");
  if (version.substr(0, version.find('.')) != "3")
    invalid("api_version '" + version + "': uvmas simulators speak mosaik API 3 only (\"3.0\")");
}

void check_subset(const std::string& model, const ModelMeta& m, const std::vector<std::string>& list,
                  std::string_view list_name, bool inputs) {
  if (inputs && m.any_inputs) return;  // every name is an input
  for (const auto& a : list)
    if (!contains(m.attrs, a))
      invalid("model '" + model + "': '" + a + "' is in " + std::string(list_name) + " but not in attrs");
}

void check_disjoint(const std::string& model, const std::vector<std::string>& a, std::string_view a_name,
                    const std::vector<std::string>& b, std::string_view b_name) {
  for (const auto& x : a)
    if (contains(b, x))
      invalid("model '" + model + "': attribute '" + x + "' is both " + std::string(a_name) + " and " +
              std::string(b_name));
}

void check_forbidden(const std::string& model, const std::vector<std::string>& list, std::string_view list_name,
                     SimulatorType type) {
  if (!list.empty())
    invalid("model '" + model + "': a " + to_string(type) + " simulator cannot declare " + std::string(list_name) +
            " attributes (" + list.front() + ")");
}

void check_model(const std::string& name, const ModelMeta& m, SimulatorType type) {
  check_disjoint(name, m.trigger, "trigger", m.non_trigger, "non-trigger");
  check_disjoint(name, m.persistent, "persistent", m.non_persistent, "non-persistent");
  check_subset(name, m, m.trigger, "trigger", true);
  check_subset(name, m, m.non_trigger, "non-trigger", true);
  check_subset(name, m, m.persistent, "persistent", false);
  check_subset(name, m, m.non_persistent, "non-persistent", false);
  if (type == SimulatorType::time_based) {
    check_forbidden(name, m.trigger, "trigger", type);
    check_forbidden(name, m.non_persistent, "non-persistent", type);
  } else if (type == SimulatorType::event_based) {
    check_forbidden(name, m.non_trigger, "non-trigger", type);
    check_forbidden(name, m.persistent, "persistent", type);
  }
}

void check_name(const std::string& name, std::string_view what) {
  if (name.empty()) invalid("an empty " + std::string(what) + " name");
  if (std::find(reserved_names.begin(), reserved_names.end(), name) != reserved_names.end())
    invalid(std::string(what) + " name '" + name + "' is reserved for mosaik's own calls");
}

}  // namespace

void check_meta(const Meta& meta) {
  check_api_version(meta.api_version);
  for (const auto& [name, model] : meta.models) {
    check_name(name, "model");
    check_model(name, model, meta.type);
  }
  std::vector<std::string> seen;
  for (const auto& method : meta.extra_methods) {
    check_name(method, "extra method");
    if (meta.models.count(method)) invalid("extra method '" + method + "' has the name of a model");
    if (contains(seen, method)) invalid("extra method '" + method + "' is listed twice");
    seen.push_back(method);
  }
}

}  // namespace uvmas::sim
