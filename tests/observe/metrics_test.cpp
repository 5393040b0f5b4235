// Metrics: counters that move with the calls made, their Prometheus text, and
// `uvmas serve --metrics` read by a Prometheus text parser (python3-prometheus-client).

#include "support/process.hpp"
#include "support/test_support.hpp"
#include "support/watchdog.hpp"

#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/observe.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

TEST(Histogram, CountsEachObservationInTheFirstBucketThatHoldsIt) {
  Histogram h;
  h.observe(0);        // <= 1e-5
  h.observe(2e-5);     // <= 5e-5
  h.observe(0.002);    // <= 5e-3
  h.observe(1000);     // +Inf
  EXPECT_EQ(h.buckets[0], 1u);
  EXPECT_EQ(h.buckets[1], 1u);
  EXPECT_EQ(h.buckets[5], 1u);
  EXPECT_EQ(h.buckets.back(), 1u);
  EXPECT_EQ(h.count, 4u);
  EXPECT_DOUBLE_EQ(h.sum, 0 + 2e-5 + 0.002 + 1000);
}

TEST(Metrics, PrometheusTextHasTypedFamiliesCumulativeBucketsAndTheContainerLabel) {
  Metrics m;
  m.messages_in = 3;
  m.served.result = 2;
  m.served_seconds.observe(0.002);
  m.served_seconds.observe(0.2);
  std::string text = m.prometheus_text("tcp://h:1/ \"x\"");
  EXPECT_NE(text.find("# TYPE uvmas_messages_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("uvmas_messages_total{container=\"tcp://h:1/ \\\"x\\\"\",direction=\"in\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("uvmas_calls_total{container=\"tcp://h:1/ \\\"x\\\"\",side=\"served\",outcome=\"result\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("side=\"served\",le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("side=\"served\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE uvmas_call_seconds histogram\n"), std::string::npos);
}

Task<> calls(Loop& loop, std::string address) {
  rpc::Connection con = co_await rpc::open_connection(loop, address);
  EXPECT_EQ(co_await con.remote().call<int>("add", 1, 2), 3);
  EXPECT_EQ(co_await con.remote().call<int>("add", 3, 4), 7);
  EXPECT_THROW((void)co_await con.remote().call<int>("fail"), RemoteException);
  co_await con.close();
}

TEST(Observer, CountsFramesCallsByOutcomeAndConnections) {
  Loop loop;
  WallClock clock(loop);
  ObserveOptions o;
  o.metrics = true;
  o.name = "server";
  Observer observer(loop, clock, o);
  rpc::Router root("Svc");
  root.expose("add", [](int a, int b) { return a + b; });
  root.expose("fail", []() -> int { throw ValueError("no"); });
  ChannelOptions options;
  options.observer = &observer;
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", root, options);
  loop.run(calls(loop, server->address().url()));
  loop.run_until_idle();
  const Metrics& m = observer.metrics();
  EXPECT_EQ(m.messages_in, 3u);
  EXPECT_EQ(m.messages_out, 3u);
  EXPECT_EQ(m.served.result, 2u);
  EXPECT_EQ(m.served.exception, 1u);
  EXPECT_EQ(m.served_seconds.count, 3u);
  EXPECT_EQ(m.requests_in_flight, 0);
  EXPECT_EQ(m.connections_total, 1u);
  EXPECT_GT(m.bytes_in, 3u * 4);
  EXPECT_NE(observer.prometheus_text().find("container=\"server\""), std::string::npos);
}

TEST(Observer, OffByDefaultCountsNothing) {
  Loop loop;
  WallClock clock(loop);
  Observer observer(loop, clock, ObserveOptions{});
  rpc::Router root("Svc");
  root.expose("add", [](int a, int b) { return a + b; });
  ChannelOptions options;
  options.observer = &observer;
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", root, options);
  loop.run([](Loop& l, std::string a) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(l, a);
    EXPECT_EQ(co_await con.remote().call<int>("add", 1, 2), 3);
    co_await con.close();
  }(loop, server->address().url()));
  EXPECT_EQ(observer.metrics().messages_in, 0u);
}

TEST(Observer, RefusesAnUncreatableTraceDirectoryNamingIt) {
  Loop loop;
  WallClock clock(loop);
  ObserveOptions o;
  o.trace_dir = "/proc/uvmas-cannot-be-here";
  try {
    Observer observer(loop, clock, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/uvmas-cannot-be-here"), std::string::npos) << e.what();
  }
}

// The metrics of `uvmas serve --metrics`, read over HTTP and parsed by
// prometheus_client's text parser; prints `name{labels} value` lines.
const char* parse_script =
    "import sys, urllib.request\n"
    "from prometheus_client.parser import text_string_to_metric_families\n"
    "text = urllib.request.urlopen(sys.argv[1], timeout=20).read().decode()\n"
    "for family in text_string_to_metric_families(text):\n"
    "    for s in family.samples:\n"
    "        labels = ','.join(k + '=' + v for k, v in sorted(s.labels.items()) if k != 'container')\n"
    "        print(f'{s.name}{{{labels}}} {s.value:g}')\n";

std::string scrape(const std::string& url) {
  auto r = test::run_process("/usr/bin/python3 -c \"$UVMAS_SCRIPT\" " + url + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return r.out;
}

TEST(ServeMetrics, CountersMoveWithTheCallsMadeAndParseAsPrometheusText) {
  test::Watchdog watchdog;
  ::setenv("UVMAS_SCRIPT", parse_script, 1);
  Loop loop;
  auto child = ChildProcess::start(
      loop, {test::bin_dir() + "/uvmas", "serve", "tcp://127.0.0.1:0", "--metrics", "127.0.0.1:0"});
  auto run = [](Loop& l, ChildProcess& c) -> Task<int> {
    std::string ready = co_await c.read_line();
    std::string metrics = co_await c.read_line();
    EXPECT_EQ(metrics.rfind("METRICS http://127.0.0.1:", 0), 0u) << metrics;
    const std::string url = metrics.substr(8);
    std::string before = scrape(url);
    EXPECT_NE(before.find("uvmas_calls_total{outcome=result,side=served} 0\n"), std::string::npos) << before;
    rpc::Connection con = co_await rpc::open_connection(l, ready.substr(6));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(co_await con.remote().call<int>("add", i, 1), i + 1);
    EXPECT_THROW((void)co_await con.remote().call<Value>("raise_value_error", std::string("x")), RemoteException);
    std::string after = scrape(url);
    EXPECT_NE(after.find("uvmas_calls_total{outcome=result,side=served} 5\n"), std::string::npos) << after;
    EXPECT_NE(after.find("uvmas_calls_total{outcome=exception,side=served} 1\n"), std::string::npos) << after;
    EXPECT_NE(after.find("uvmas_messages_total{direction=in} 6\n"), std::string::npos) << after;
    EXPECT_NE(after.find("uvmas_connections{} 1\n"), std::string::npos) << after;
    EXPECT_NE(after.find("uvmas_call_seconds_count{side=served} 6\n"), std::string::npos) << after;
    EXPECT_NE(after.find("uvmas_requests_in_flight{} 0\n"), std::string::npos) << after;
    // Only /metrics is served.
    auto other = test::run_process("/usr/bin/python3 -c \"import urllib.request,sys\ntry:\n"
                                   "    urllib.request.urlopen(sys.argv[1])\nexcept Exception as e: print(e)\" " +
                                   url.substr(0, url.size() - 8) + "/other");
    EXPECT_NE(other.out.find("404"), std::string::npos) << other.out;
    (void)co_await con.remote().call<std::string>("shutdown");
    co_return co_await c.wait();
  };
  EXPECT_EQ(loop.run(run(loop, *child)), 0);
}

}  // namespace
