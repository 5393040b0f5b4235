// A codec of your own (docs/codecs.md): MsgPack that meters the bytes it
// writes and reads, used by two containers that must both know it.

#include <uvmas/codecs/codec.hpp>
#include <uvmas/framework/container.hpp>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>

namespace {

// [snippet:codec]
class MeteredMsgPack final : public uvmas::CustomCodec {
 public:
  std::string name() const override { return "metered-msgpack"; }

  void encode(const uvmas::Value& v, std::string& out,
              const std::shared_ptr<const uvmas::Serializers>& types) const override {
    const std::size_t before = out.size();
    uvmas::Codec(uvmas::Format::msgpack, types).encode(v, out);  // throw SerializationError to refuse a value
    written += out.size() - before;
  }

  uvmas::Value decode(std::string_view payload,
                      const std::shared_ptr<const uvmas::Serializers>& types) const override {
    read += payload.size();
    return uvmas::Codec(uvmas::Format::msgpack, types).decode(payload);  // throw DecodeError for bad input
  }

  mutable std::atomic<std::size_t> written{0};
  mutable std::atomic<std::size_t> read{0};
};
// [end:codec]

class Echo : public uvmas::Agent {
 public:
  explicit Echo(uvmas::Container& c) : Agent(c) { expose("echo", &Echo::echo); }
  std::string echo(std::string s) { return s; }
};

uvmas::Task<> call(uvmas::Container& client, std::string url) {
  uvmas::AgentProxy echo = co_await client.connect(url);
  std::cout << "echo: " << co_await echo.call<std::string>("echo", "metered") << "\n";
  co_await client.shutdown();
}

}  // namespace

int main() {
  uvmas::Loop loop;
  // [snippet:use]
  auto codec = std::make_shared<MeteredMsgPack>();
  uvmas::ContainerOptions options;
  options.codec = codec;  // instead of a Format; the peer must use the same codec
  auto server = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
  auto client = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
  // [end:use]
  auto& echo = server->spawn<Echo>();
  loop.run(call(*client, echo.addr()));
  loop.run(server->shutdown());
  std::cout << "bytes written = bytes read: " << std::boolalpha << (codec->written == codec->read) << "\n";
  std::cout << "metered: " << (codec->written > 0) << "\n";
}
