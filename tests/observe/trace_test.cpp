// Traces: the events a container writes, the cause recorded for a call made
// while handling a request, and `uvmas demo --trace` merged by `uvmas trace`
// into Chrome trace-event JSON whose flows link calls across the two processes.

#include "observe/temp_dir.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/framework/observe.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace {

using namespace uvmas;

const Value* field(const Value& m, std::string_view key) {
  for (const auto& [k, v] : m.as_map())
    if (k.is_string() && k.as_string() == key) return &v;
  return nullptr;
}
std::string text(const Value& m, std::string_view key) {
  const Value* v = field(m, key);
  return v && v->is_string() ? v->as_string() : std::string();
}

std::vector<Value> read_lines(const std::string& dir) {
  std::vector<Value> lines;
  Codec json(Format::json);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) lines.push_back(json.decode(line));
  }
  return lines;
}

Task<int> relay(rpc::Proxy client, int x) { co_return co_await client.call<int>("cb", x) + 1; }

TEST(Trace, ACallMadeWhileHandlingARequestNamesThatRequestAsItsCause) {
  test::TempDir dir;
  {
    Loop loop;
    WallClock clock(loop);
    ObserveOptions o;
    o.trace_dir = dir.path();
    o.name = "relay-server";
    Observer observer(loop, clock, o);
    rpc::Router root("Svc");
    root.expose("relay", &relay);
    ChannelOptions options;
    options.observer = &observer;
    auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", root, options);
    loop.run([](Loop& l, std::string a) -> Task<> {
      rpc::Router mine("Client");
      mine.expose("cb", [](int x) { return 2 * x; });
      rpc::Connection con = co_await rpc::open_connection(l, a, mine);
      EXPECT_EQ(co_await con.remote().call<int>("relay", mine, 5), 11);
      co_await con.close();
    }(loop, server->address().url()));
    loop.run_until_idle();
  }
  std::vector<Value> lines = read_lines(dir.path());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(text(lines.front(), "ev"), "start");
  EXPECT_EQ(text(lines.front(), "name"), "relay-server");
  std::int64_t relay_conn = -1, relay_id = -1;
  bool cause_seen = false, open_seen = false;
  for (const Value& e : lines) {
    ASSERT_TRUE(field(e, "wall") && field(e, "clock")) << e;
    const std::string ev = text(e, "ev");
    if (ev == "open") {
      open_seen = true;
      EXPECT_NE(text(e, "local").find("127.0.0.1"), std::string::npos) << e;
      EXPECT_NE(text(e, "peer").find("127.0.0.1"), std::string::npos) << e;
    }
    if (ev == "in" && text(e, "path") == "relay") {
      relay_conn = field(e, "conn")->as_int();
      relay_id = field(e, "id")->as_int();
    }
    if (ev == "out" && text(e, "path") == "cb") {
      const Value* cause = field(e, "cause");
      ASSERT_NE(cause, nullptr) << e;
      EXPECT_EQ(cause->as_array()[0].as_int(), relay_conn);
      EXPECT_EQ(cause->as_array()[1].as_int(), relay_id);
      cause_seen = true;
    }
  }
  EXPECT_TRUE(open_seen);
  EXPECT_TRUE(cause_seen);
}

TEST(TraceCommand, DemoTraceMergesIntoChromeJsonWhoseFlowsLinkTheTwoProcesses) {
  test::TempDir dir;
  const std::string traces = dir / "traces";
  auto demo = test::run_process(test::bin_dir() + "/uvmas demo --trace " + traces);
  ASSERT_EQ(demo.exit_code, 0) << demo.out;
  const std::string chrome = dir / "t.json";
  auto merged = test::run_process(test::bin_dir() + "/uvmas trace " + traces + " --chrome " + chrome);
  ASSERT_EQ(merged.exit_code, 0) << merged.out;
  EXPECT_EQ(merged.out.rfind("trace: 2 processes, ", 0), 0u) << merged.out;
  EXPECT_NE(merged.out.find("longest causal chains:\n"), std::string::npos) << merged.out;
  EXPECT_NE(merged.out.find("slowest calls:\n"), std::string::npos) << merged.out;
  EXPECT_NE(merged.out.find("failed calls: none\n"), std::string::npos) << merged.out;

  std::ifstream in(chrome);
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Value root = Codec(Format::json).decode(json);  // valid JSON
  const Value* events = field(root, "traceEvents");
  ASSERT_TRUE(events && events->is_array());
  std::map<std::int64_t, const Value*> starts, finishes;
  std::set<std::string> phases;
  for (const Value& e : events->as_array()) {
    const std::string ph = text(e, "ph");
    phases.insert(ph);
    ASSERT_TRUE(field(e, "pid")) << e;
    if (ph == "X") {
      ASSERT_TRUE(field(e, "ts") && field(e, "dur") && field(e, "tid") && field(e, "name")) << e;
      EXPECT_GE(field(e, "dur")->as_int(), 0);
    }
    if (ph == "s") starts[field(e, "id")->as_int()] = &e;
    if (ph == "f") {
      finishes[field(e, "id")->as_int()] = &e;
      EXPECT_EQ(text(e, "bp"), "e");
    }
  }
  EXPECT_TRUE(phases.count("M") && phases.count("X"));
  ASSERT_FALSE(starts.empty());
  ASSERT_EQ(starts.size(), finishes.size());
  // The aggregator's curtail requests start in its process and end at the
  // households' handling in the other; the households' reports go the other way.
  std::set<std::int64_t> curtail_from, report_to;
  for (const auto& [id, s] : starts) {
    ASSERT_TRUE(finishes.count(id)) << "flow " << id << " has no end";
    const Value* f = finishes[id];
    EXPECT_NE(field(*s, "pid")->as_int(), field(*f, "pid")->as_int()) << "a flow crosses processes";
    EXPECT_EQ(text(*s, "name"), text(*f, "name"));
    const std::string name = text(*s, "name");
    if (name.ends_with("/curtail")) curtail_from.insert(field(*s, "pid")->as_int());
    if (name.ends_with("/report")) report_to.insert(field(*f, "pid")->as_int());
  }
  ASSERT_EQ(curtail_from.size(), 1u);
  ASSERT_EQ(report_to.size(), 1u);
  EXPECT_EQ(*curtail_from.begin(), *report_to.begin()) << "the aggregator sends curtail and handles report";
}

TEST(TraceCommand, AnEmptyDirectoryIsAClearError) {
  test::TempDir dir;
  auto r = test::run_process(test::bin_dir() + "/uvmas trace " + dir.path() + " 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no trace files"), std::string::npos) << r.out;
}

}  // namespace
