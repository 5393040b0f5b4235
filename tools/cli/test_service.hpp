#pragma once
// The interop test service of `uvmas serve` and the test agent of `uvmas
// container` (docs/cli.md); `uvmas replay` serves them again for a recording.

#include <uvmas/clocks/clock.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/framework/rpc.hpp>

namespace uvmas::cli {

/// The interop test service (the functions docs/cli.md lists) on `loop`,
/// sleeping on `clock`.
class TestService {
 public:
  rpc::Router router{"uvmas.serve.TestService"};
  rpc::Router sub{"uvmas.serve.SubService"};
  /// Set by a call of `shutdown`.
  Event stop;

  TestService(Loop& loop, Clock& clock);

 private:
  Clock& clock_;
};

/// The interop test agent: `service(value)` and `call_me_back(peer, value)`.
class TestAgent : public Agent {
 public:
  explicit TestAgent(Container& c);
  Value service(Value value) { return value; }
  /// Calls `service(value)` back on the peer's agent, over the connection its reference came in on.
  Task<Value> call_me_back(rpc::Proxy peer, Value value);
};

}  // namespace uvmas::cli
