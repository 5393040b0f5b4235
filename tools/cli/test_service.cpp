#include "test_service.hpp"

#include <uvmas/codecs/arithmetic.hpp>

#include <algorithm>
#include <optional>

namespace uvmas::cli {

namespace {

Task<Value> sleep_then(Clock* clock, double seconds, Value result) {
  if (seconds > 0) co_await clock->sleep(seconds);
  co_return result;
}

Task<Value> call_back_mul(rpc::Proxy peer, Value x) { co_return co_await peer.call("cb_mul", x, 10); }

}  // namespace

TestService::TestService(Loop& loop, Clock& clock) : stop(loop), clock_(clock) {
  router.expose("add", &python_add, {"a", "b"});
  router.expose("echo", [](Value v) { return v; }, {"value"});
  router.expose("raise_value_error", [](std::string message) -> Value { throw ValueError(message); }, {"message"});
  Clock* c = &clock_;
  router.expose(
      "sleep",
      [c](double seconds, std::optional<Value> result) {
        return sleep_then(c, seconds, result ? std::move(*result) : Value());
      },
      {"seconds", "result"});
  router.expose("big_list", [](std::int64_t n) {
    Array out;
    out.reserve(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
    for (std::int64_t i = 0; i < n; ++i) out.emplace_back(i);
    return Value(std::move(out));
  }, {"n"});
  router.expose("get_sub", [this] { return sub.ref(); });
  router.expose("call_back", &call_back_mul, {"proxy", "x"});
  Event* s = &stop;
  router.expose("shutdown", [s] {
    // Stop after the reply is written, from the loop.
    s->set();
    return std::string("bye");
  });
  // Known to the router but not callable: a call answers "is not exposed".
  router.add_hidden("not_exposed");
  router.add_sub("sub", sub);
  sub.expose("mul", &python_multiply, {"a", "b"});
}

TestAgent::TestAgent(Container& c) : Agent(c) {
  expose("service", &TestAgent::service, {"value"});
  expose("call_me_back", &TestAgent::call_me_back, {"peer", "value"});
}

Task<Value> TestAgent::call_me_back(rpc::Proxy peer, Value value) { co_return co_await peer.call("service", value); }

}  // namespace uvmas::cli
