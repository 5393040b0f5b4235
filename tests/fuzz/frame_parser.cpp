// Fuzz target: the channel's frame parser and message dispatch, over an
// in-memory stream. The input arrives in pieces as if from a peer; requests
// are echoed back, and two requests of ours wait for replies (ids 0 and 1),
// so replies in the input are matched too.

#include "fuzz_target.hpp"
#include "memory_stream.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/channel.hpp>

namespace {

using namespace uvmas;

Task<> answer_all(Channel ch) {
  try {
    for (;;) {
      Request r = co_await ch.recv();
      Value content = r.content();
      co_await r.reply(std::move(content));
    }
  } catch (const std::exception&) {
  }
}

Task<> ask(Channel ch, Value content) {
  try {
    (void)co_await ch.send(std::move(content));
  } catch (const std::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet_logs();
  Loop loop;
  {
    ChannelOptions options;
    options.max_frame_size = 1u << 20;
    options.max_requests_in_progress = 4;
    options.extra_serializers = {"datetime", "proxy"};  // typed values decode as on a container's connection
    Channel ch = make_channel(std::make_unique<fuzz::MemoryStream>(loop, std::string(fuzz::as_text(data, size))), options);
    loop.spawn(ask(ch, Value("first")));
    loop.spawn(ask(ch, Value("second")));
    loop.spawn(answer_all(ch));
    loop.run_until_idle();
    ch.abort("end of input");
    loop.run_until_idle();
  }
  return 0;
}

std::vector<std::string> uvmas::fuzz::seeds_from(const VectorFile& vectors) {
  return frames_and_session(vectors, "json", "");
}
