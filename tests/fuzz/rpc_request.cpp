// Fuzz target: the RPC request path (channel, [path, args, kwargs] checks,
// router lookup, argument binding, replies) over an in-memory stream.

#include "fuzz_target.hpp"
#include "memory_stream.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/rpc.hpp>

#include <map>
#include <optional>

namespace {

using namespace uvmas;

struct Service {
  rpc::Router router{"fuzz.Service"};
  rpc::Router sub{"fuzz.Sub"};
  Service() {
    router.expose("add", [](std::int64_t a, std::int64_t b) { return a + b; }, {"a", "b"});
    router.expose("echo", [](Value v) { return v; }, {"value"});
    router.expose("fail", [](std::string message) -> Value { throw ValueError(message); }, {"message"});
    router.expose("join", [](std::vector<std::string> parts, std::optional<std::string> sep) {
      std::string out;
      for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep.value_or(",") : "") + parts[i];
      return out;
    }, {"parts", "sep"});
    router.expose("keys", [](std::map<std::string, double> m) { return static_cast<std::int64_t>(m.size()); }, {"m"});
    router.expose("get_sub", [this] { return sub.ref(); });
    sub.expose("mul", [](double a, double b) { return a * b; }, {"a", "b"});
    router.add_sub("sub", sub);
    router.add_hidden("hidden");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet_logs();
  static Service service;
  Loop loop;
  {
    ChannelOptions options = rpc::rpc_options(ChannelOptions{});
    options.max_frame_size = 1u << 20;
    Channel ch = make_channel(std::make_unique<fuzz::MemoryStream>(loop, std::string(fuzz::as_text(data, size))), options);
    rpc::Connection con = rpc::make_connection(ch, &service.router);
    loop.run_until_idle();
    ch.abort("end of input");
    loop.run_until_idle();
  }
  loop.run_until_idle();
  return 0;
}

std::vector<std::string> uvmas::fuzz::seeds_from(const VectorFile& vectors) {
  return frames_and_session(vectors, "json", "client->server");
}
