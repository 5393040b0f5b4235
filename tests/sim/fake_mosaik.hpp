#pragma once
// Plays mosaik's side of a connection in tests: raw frames over a RawPeer
// (a bare stream, so the fake master's own waiting never counts as loop
// activity and quiescence-aware stepping works with both ends on one loop).

#include "support/raw_peer.hpp"

#include <uvmas/codecs/codec.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/channel.hpp>
#include <uvmas/sim/mosaik.hpp>
#include <uvmas/transports/connect.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace uvmas::test {

/// One reply frame as the fake master received it.
struct MosaikReply {
  int type = 1;  ///< 1 success, 2 failure
  Value id;
  Value content;
};

class FakeMosaik {
 public:
  /// Answers the simulator's own requests (content `[func, args, kwargs]`) with a value.
  using Handler = std::function<Value(const Value& content)>;

  explicit FakeMosaik(std::unique_ptr<RawPeer> peer) : peer_(std::move(peer)) {}

  /// Sends `[0, id, [function, args, kwargs]]` and returns the reply; requests
  /// from the simulator in between go to the handler (recorded in `requests`).
  Task<MosaikReply> call(std::string function, Array args, Map kwargs) {
    Array content;
    content.emplace_back(std::move(function));
    content.emplace_back(std::move(args));
    content.emplace_back(std::move(kwargs));
    const std::int64_t id = next_id_++;
    send(0, Value(id), Value(std::move(content)));
    for (;;) {
      auto payload = co_await peer_->read_frame();
      if (!payload) throw ConnectionError("the simulator closed the connection");
      Value frame = json_.decode(*payload);
      const int type = static_cast<int>(frame[0].as_int());
      if (type == 0) {
        requests.push_back(frame[2]);
        send(1, frame[1], handler ? handler(frame[2]) : Value());
        continue;
      }
      if (frame[1] != Value(id)) throw std::runtime_error("reply with the wrong id: " + to_repr(frame));
      co_return MosaikReply{type, frame[1], frame[2]};
    }
  }

  /// A call whose reply must be a success; returns its value.
  Task<Value> ok(std::string function, Array args, Map kwargs) {
    MosaikReply r = co_await call(std::move(function), std::move(args), std::move(kwargs));
    if (r.type != 1) throw std::runtime_error("failure reply: " + to_repr(r.content));
    co_return r.content;
  }

  /// Sends `stop` (no reply expected) and waits until the simulator closes.
  Task<> stop() {
    Array content;
    content.emplace_back("stop");
    content.emplace_back(Array{});
    content.emplace_back(Map{});
    send(0, Value(next_id_++), Value(std::move(content)));
    co_await peer_->wait_closed();
  }

  void send(int type, const Value& id, Value content) {
    Array triple;
    triple.emplace_back(type);
    triple.emplace_back(id);
    triple.emplace_back(std::move(content));
    peer_->write_frame(json_.encode(Value(std::move(triple))));
  }

  RawPeer& peer() noexcept { return *peer_; }

  Handler handler;
  std::vector<Value> requests;

 private:
  std::unique_ptr<RawPeer> peer_;
  Codec json_{Format::json};
  std::int64_t next_id_ = 0;
};

/// A simulator served on a loopback TCP connection of `loop`, and the fake
/// mosaik at the other end. Serving runs on the loop's task group.
struct LoopbackMosaik {
  std::unique_ptr<Listener> listener;
  std::unique_ptr<FakeMosaik> master;
};

inline Task<LoopbackMosaik> connect_loopback(Loop& loop, sim::Simulator* sim) {
  LoopbackMosaik out;
  Loop* l = &loop;
  out.listener = listen_stream(loop, Address::parse("tcp://127.0.0.1:0"), [l, sim](StreamPtr stream) {
    Channel channel = make_channel(std::move(stream), ChannelOptions{});
    l->spawn(sim::serve(channel, *sim));
  });
  Address address = out.listener->address();
  auto peer = co_await RawPeer::connect(loop, address);
  out.master = std::make_unique<FakeMosaik>(std::move(peer));
  co_return out;
}

}  // namespace uvmas::test
