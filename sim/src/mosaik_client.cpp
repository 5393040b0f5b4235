// Mosaik: the simulator's requests to mosaik, over the session's channel.

#include "uvmas/sim/mosaik.hpp"

#include "wire.hpp"

#include "uvmas/core/error.hpp"

#include <utility>

namespace uvmas::sim {

using namespace detail;

Task<Value> Mosaik::call(std::string function, Array args) {
  if (!channel_) throw ConnectionError("not connected to mosaik");
  Array content;
  content.reserve(3);
  content.emplace_back(std::move(function));
  content.emplace_back(std::move(args));
  content.emplace_back(Map{});
  Channel channel = channel_;
  Value reply = co_await channel.send(Value(std::move(content)));
  co_return reply;
}

Task<double> Mosaik::get_progress() {
  Array args;
  Value reply = co_await call("get_progress", std::move(args));
  co_return reply.as_double();
}

Task<EntityGraph> Mosaik::get_related_entities() {
  Array args;
  args.emplace_back(nullptr);
  Value reply = co_await call("get_related_entities", std::move(args));
  EntityGraph graph;
  graph.nodes = to_string_map(reply.at("nodes"), "the graph's nodes");
  for (const auto& edge : reply.at("edges").as_array()) {
    const Array& e = edge.as_array();
    if (e.size() < 2) throw TypeError("an edge of the entity graph has fewer than two ends");
    graph.edges.push_back({e[0].as_string(), e[1].as_string(), e.size() > 2 ? e[2] : Value()});
  }
  co_return graph;
}

Task<std::map<std::string, Value>> Mosaik::get_related_entities(std::string full_id) {
  Array args;
  args.emplace_back(std::move(full_id));
  Value reply = co_await call("get_related_entities", std::move(args));
  co_return to_string_map(reply, "get_related_entities' reply");
}

Task<std::map<std::string, std::map<std::string, Value>>> Mosaik::get_related_entities(
    std::vector<std::string> full_ids) {
  Array args;
  args.push_back(strings(full_ids));
  Value reply = co_await call("get_related_entities", std::move(args));
  std::map<std::string, std::map<std::string, Value>> out;
  for (const auto& [k, v] : map_arg(reply, "get_related_entities' reply")) {
    out.emplace(text_arg(k, "a full id"), to_string_map(v, "an entity's neighbours"));
  }
  co_return out;
}

Task<std::map<std::string, EntityData>> Mosaik::get_data(DataRequest request) {
  Map wanted;
  for (const auto& [full_id, attrs] : request) wanted.emplace_back(full_id, strings(attrs));
  Array args;
  args.emplace_back(std::move(wanted));
  Value reply = co_await call("get_data", std::move(args));
  std::map<std::string, EntityData> out;
  for (const auto& [k, v] : map_arg(reply, "get_data's reply")) {
    out.emplace(text_arg(k, "a full id"), to_string_map(v, "an entity's data"));
  }
  co_return out;
}

Task<> Mosaik::set_data(std::map<std::string, std::map<std::string, EntityData>> data) {
  Map outer;
  for (auto& [src, dests] : data) {
    Map per_dest;
    for (auto& [dest, attrs] : dests) {
      Map values;
      for (auto& [attr, value] : attrs) values.emplace_back(attr, std::move(value));
      per_dest.emplace_back(dest, Value(std::move(values)));
    }
    outer.emplace_back(src, Value(std::move(per_dest)));
  }
  Array args;
  args.emplace_back(std::move(outer));
  (void)co_await call("set_data", std::move(args));
}

Task<> Mosaik::set_event(Time time) {
  Array args;
  args.emplace_back(time);
  (void)co_await call("set_event", std::move(args));
}

}  // namespace uvmas::sim
