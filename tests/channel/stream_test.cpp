// The Stream seam's drain signal on every transport: drained() completes once
// what was queued has left this process, and at once when nothing is queued
// or the stream is closed.

#include "support/test_support.hpp"

#include <uvmas/transports/connect.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

using namespace uvmas;

/// Counts the bytes an accepted stream delivers and wakes a waiter on each chunk.
class Sink final : public StreamHandler {
 public:
  explicit Sink(Loop& loop) : loop_(loop) {}
  std::size_t received = 0;
  bool closed = false;
  void on_read(std::string_view data) override {
    received += data.size();
    changed_.wake_all(loop_);
  }
  void on_closed(std::string_view) override {
    closed = true;
    changed_.wake_all(loop_);
  }
  Task<> wait_for(std::size_t n) {
    while (received < n && !closed) co_await changed_.wait();
  }

 private:
  Loop& loop_;
  WaitList changed_;
};

Address listen_address(Address::Kind kind) {
  switch (kind) {
    case Address::Kind::tcp: return Address::tcp("127.0.0.1", 0);
    case Address::Kind::unix_socket: return Address::parse("ipc://[" + test::temp_socket_path("drain") + "]");
    case Address::Kind::local: return Address::local("stream-drain-test");
  }
  return {};
}

class StreamDrain : public ::testing::TestWithParam<Address::Kind> {};

TEST_P(StreamDrain, DrainedCompletesOnceEveryQueuedByteHasLeft) {
  Loop loop;
  Sink sink(loop);
  std::vector<StreamPtr> accepted;
  auto listener = listen_stream(loop, listen_address(GetParam()), [&](StreamPtr s) {
    s->start(sink);
    accepted.push_back(std::move(s));
  });
  auto body = [](Loop& loop, Address server, Sink& sink) -> Task<> {
    auto stream = co_await connect_stream(loop, server);
    // More than a socket buffer holds: the kernel takes it over several passes.
    const std::size_t size = std::size_t{24} << 20;
    stream->out().assign(size, 'x');
    co_await stream->drained();
    EXPECT_EQ(stream->buffered(), 0u);
    EXPECT_FALSE(stream->closed());
    co_await stream->drained();  // nothing queued: completes at once
    co_await sink.wait_for(size);
    EXPECT_EQ(sink.received, size);
    stream->close();
    co_await stream->drained();  // closed: nothing to wait for
  };
  loop.run(body(loop, listener->address(), sink));
}

INSTANTIATE_TEST_SUITE_P(Transports, StreamDrain,
                         ::testing::Values(Address::Kind::tcp, Address::Kind::unix_socket, Address::Kind::local),
                         [](const auto& info) {
                           switch (info.param) {
                             case Address::Kind::tcp: return std::string("Tcp");
                             case Address::Kind::unix_socket: return std::string("Unix");
                             case Address::Kind::local: return std::string("Local");
                           }
                           return std::string();
                         });

// A peer that never reads: the kernel buffers fill and the wait lasts until
// the stream is closed (an in-process stream has no buffer to wait on).
bool close_ends_the_wait(Address::Kind kind) {
  Loop loop;
  std::vector<StreamPtr> accepted;
  auto listener = listen_stream(loop, listen_address(kind), [&](StreamPtr s) { accepted.push_back(std::move(s)); });
  auto closer = [](Loop& loop, Stream* stream) -> Task<> {
    co_await loop.yield();
    stream->close();
  };
  auto body = [closer](Loop& loop, Address server) -> Task<bool> {
    auto stream = co_await connect_stream(loop, server);
    stream->out().assign(std::size_t{64} << 20, 'y');
    loop.spawn(closer(loop, stream.get()));
    co_await stream->drained();
    co_return stream->closed();
  };
  return loop.run(body(loop, listener->address()));
}

TEST(StreamDrain, ClosingATcpStreamEndsTheWait) { EXPECT_TRUE(close_ends_the_wait(Address::Kind::tcp)); }
TEST(StreamDrain, ClosingAUnixStreamEndsTheWait) { EXPECT_TRUE(close_ends_the_wait(Address::Kind::unix_socket)); }

}  // namespace
