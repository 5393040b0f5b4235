#pragma once
// Plays one side of a recorded aiomas conversation over a raw connection.

#include "support/raw_peer.hpp"
#include "support/vectors.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace uvmas::test {

/// Writes the frames the recorded `side` sent (client: `from_client`) and
/// reads every frame the other side sent, handing it with its record to
/// `check`. Returns how many frames were checked; a connection that closes
/// early is a test failure.
inline Task<int> play_recorded(RawPeer* peer, std::vector<VectorFrame> frames, bool as_client,
                               std::function<void(const std::string& got, const VectorFrame& recorded)> check) {
  int checked = 0;
  for (const auto& f : frames) {
    if (f.from_client == as_client) {
      peer->write(f.frame);
      continue;
    }
    auto got = co_await peer->read_frame();
    if (!got) {
      ADD_FAILURE() << f.case_name << ": connection closed";
      co_return checked;
    }
    check(*got, f);
    ++checked;
  }
  co_return checked;
}

}  // namespace uvmas::test
