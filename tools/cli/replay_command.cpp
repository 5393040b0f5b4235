// `uvmas replay FILE`: replays a recording of `uvmas serve` or `uvmas
// container` (--record FILE) into a fresh one on an ExternalClock and checks
// that it sends the same frames byte for byte. The last line is
// `replayed N frames, M replies identical`; exit 0 only when all are.

#include "commands.hpp"
#include "test_service.hpp"

#include <uvmas/framework/replay.hpp>

#include <unistd.h>

#include <iostream>
#include <sstream>
#include <vector>

namespace uvmas::cli {

namespace {

struct Program {
  std::string name;
  std::string codec = "json";
  int agents = 1;
};

Program parse_program(const std::string& line) {
  std::istringstream words(line);
  Program p;
  words >> p.name;
  std::string word;
  while (words >> word) {
    if (word == "--codec") words >> p.codec;
    if (word == "--agents") words >> p.agents;
  }
  return p;
}

// An in-process address nobody else uses: replayed connections are handed over directly.
std::string replay_address() { return "local://uvmas-replay-" + std::to_string(::getpid()); }

ReplayReport replay_serve(const std::string& file, const Program& program) {
  Loop loop;
  ExternalClock clock(loop);
  TestService service(loop, clock);
  ChannelOptions options;
  options.codec = format_from_string(program.codec);
  auto server = rpc::start_server(loop, replay_address(), service.router, options);
  return loop.run(replay(file, *server, clock));
}

ReplayReport replay_container(const std::string& file, const Program& program) {
  Loop loop;
  ContainerOptions options;
  options.codec = format_from_string(program.codec);
  options.clock = OwnClock::external;
  auto container = Container::create(loop, replay_address(), options);
  for (int i = 0; i < program.agents; ++i) container->spawn<TestAgent>();
  ReplayReport report = loop.run(replay(file, *container));
  loop.run(container->shutdown());
  return report;
}

int run_replay(const std::string& file) {
  Program program;
  try {
    program = parse_program(recorded_program(file));
  } catch (const std::exception& e) {
    std::cerr << "uvmas replay: " << e.what() << std::endl;
    return 2;
  }
  ReplayReport report;
  if (program.name == "serve") {
    report = replay_serve(file, program);
  } else if (program.name == "container") {
    report = replay_container(file, program);
  } else {
    std::cerr << "uvmas replay: " << file << " records `" << program.name
              << "`; uvmas replays recordings of `serve` and `container`" << std::endl;
    return 2;
  }
  if (!report.ok()) std::cout << "first difference: " << report.first_difference << "\n";
  std::cout << report.summary() << std::endl;
  return report.ok() ? 0 : 1;
}

}  // namespace

void add_replay_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("replay", "Replay a recording (--record FILE) and compare what is sent byte for byte");
  auto file = std::make_shared<std::string>();
  cmd->add_option("FILE", *file, "The recording")->required();
  cmd->callback([&action, file] { action = [file] { return run_replay(*file); }; });
}

}  // namespace uvmas::cli
