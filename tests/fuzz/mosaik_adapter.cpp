// Fuzz target: the mosaik adapter (request checks, argument shapes, stepping)
// with the four roles of uvmas-mosaik-roles behind it, over an in-memory
// stream. The first byte picks the role; the rest is what mosaik sends.

#include "fuzz_target.hpp"
#include "memory_stream.hpp"

#include "roles/roles.hpp"

#include <uvmas/framework/channel.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <map>

namespace {

using namespace uvmas;

using Factory = std::unique_ptr<sim::Simulator> (*)(Loop&, ExternalClock&);
constexpr Factory factories[] = {sim::roles::make_counter, sim::roles::make_relay, sim::roles::make_agent,
                                 sim::roles::make_mailbox};

Task<> serve_quietly(Channel ch, sim::Simulator* simulator) {
  try {
    co_await sim::serve(std::move(ch), *simulator);
  } catch (const std::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet_logs();
  if (size == 0) return 0;
  const Factory factory = factories[data[0] % 4];
  Loop loop;
  {
    ExternalClock clock(loop, 0);
    std::unique_ptr<sim::Simulator> simulator = factory(loop, clock);
    ChannelOptions options;
    options.max_frame_size = 1u << 20;
    Channel ch = make_channel(std::make_unique<fuzz::MemoryStream>(loop, std::string(fuzz::as_text(data + 1, size - 1))),
                              options);
    loop.spawn(serve_quietly(ch, simulator.get()));
    loop.run_until_idle();
    ch.abort("end of input");
    loop.run_until_idle();
    loop.tasks().cancel();
    loop.run_until_idle();
    simulator.reset();
    loop.run_until_idle();
  }
  loop.run_until_idle();
  return 0;
}

std::vector<std::string> uvmas::fuzz::seeds_from(const VectorFile& vectors) {
  // The roles of the recorded scenarios (as tests/sim/mosaik_replay_test.cpp plays them).
  static const std::map<std::string, char> role_of = {{"time_based", 0},     {"failure", 0},        {"event_selfstep", 1},
                                                      {"event_outtime", 1}, {"async_requests", 2}, {"hybrid", 3}};
  auto role = role_of.find(vectors.name);
  if (role == role_of.end()) return {};
  std::string seed(1, role->second);
  for (const auto& f : frames_of(vectors, "master->sim")) seed += f;
  return {seed};
}
