#pragma once
/// Replaying a recording (ObserveOptions::record_file, `--record FILE`): every
/// frame the recorded server or container received is fed, in order and at its
/// recorded clock time, into a fresh one of the same program on an
/// ExternalClock, and what it sends is compared byte for byte with what was
/// recorded. A failure seen once in a multi-process run becomes a test:
///
/// \code
/// uvmas::Loop loop;
/// uvmas::ExternalClock clock(loop);
/// MyService service(clock);                    // what the recorded program served
/// auto server = uvmas::rpc::start_server(loop, "local://replay", service.router, options);
/// auto report = loop.run(uvmas::replay("failure.rec", *server, clock));
/// EXPECT_TRUE(report.identical()) << report.first_difference;
/// \endcode

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/framework/channel.hpp>

#include <cstddef>
#include <string>

namespace uvmas {

class Container;

/// What a replay found.
struct ReplayReport {
  std::size_t frames = 0;     ///< recorded incoming frames fed in
  std::size_t replies = 0;    ///< recorded outgoing frames (replies, and requests the program made)
  std::size_t identical = 0;  ///< outgoing frames sent again byte for byte, in the same order
  /// The first outgoing frame that differs or is missing or extra, with its
  /// connection and position; empty when there is none.
  std::string first_difference;

  /// True when every recorded outgoing frame was sent again, identically, and nothing more.
  bool ok() const noexcept { return first_difference.empty() && identical == replies; }
  /// `replayed N frames, M replies identical`.
  std::string summary() const;
};

/// The header of a recording: the program line its recorder wrote
/// (ObserveOptions::program, e.g. `serve --codec msgpack`). Throws
/// uvmas::Error when `path` cannot be read or is not a recording.
std::string recorded_program(const std::string& path);

/// Replays `path` into `server`, whose router must serve what the recorded
/// program served, moving `clock` (the one its services sleep on) to each
/// recorded time. Each recorded connection becomes an in-memory one
/// (Server::accept). Throws uvmas::Error for a file that is not a recording.
Task<ReplayReport> replay(std::string path, Server& server, ExternalClock& clock);
/// Same into a container with the same agents, on its own ExternalClock.
Task<ReplayReport> replay(std::string path, Container& container);

}  // namespace uvmas
