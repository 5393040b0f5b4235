// The codecs (docs/codecs.md): one value through JSON, MsgPack and
// MsgPack+Blosc, what JSON cannot carry, a channel on another codec, and
// how values convert to C++ types.

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/error.hpp>
#include <uvmas/framework/channel.hpp>

#include <iostream>
#include <string>

namespace {

uvmas::Task<> echo(uvmas::Channel channel) {
  uvmas::Request req = co_await channel.recv();
  co_await req.reply(req.content());
}

uvmas::Task<> send_bytes(uvmas::Loop& loop, std::string address, uvmas::ChannelOptions options) {
  uvmas::Channel channel = co_await uvmas::open_connection(loop, address, options);
  uvmas::Value reply = co_await channel.send(uvmas::Value::bytes("\x01\x02\x03"));
  std::cout << "msgpack channel echoed " << reply.as_bytes().size() << " bytes\n";
  co_await channel.close();
}

}  // namespace

int main() {
  // [snippet:formats]
  uvmas::Value value = uvmas::Value::map({{"name", "pump 7"}, {"on", true}, {"flow", 12.5}, {"ids", uvmas::Value::array({1, 2, 3})}});
  for (uvmas::Format format : {uvmas::Format::json, uvmas::Format::msgpack, uvmas::Format::msgpack_blosc}) {
    uvmas::Codec codec(format);
    std::string payload = codec.encode(value);
    std::cout << uvmas::to_string(format) << ": " << payload.size() << " bytes, decodes back "
              << (codec.decode(payload) == value ? "equal" : "different") << "\n";
  }
  std::cout << uvmas::Codec(uvmas::Format::json).encode(value) << "\n";
  // [end:formats]

  // [snippet:json-bytes]
  try {
    uvmas::Codec(uvmas::Format::json).encode(uvmas::Value::bytes("\x01\x02"));
  } catch (const uvmas::SerializationError& e) {
    std::cout << "json: " << e.what() << "\n";
  }
  // [end:json-bytes]

  // [snippet:channel]
  uvmas::ChannelOptions options;
  options.codec = uvmas::Format::msgpack;  // both sides must use the same codec
  uvmas::Loop loop;
  auto server = uvmas::start_server(loop, "tcp://127.0.0.1:0", echo, options);
  loop.run(send_bytes(loop, server->address().url(), options));
  // [end:channel]
  loop.run(server->shutdown());

  // [snippet:conversions]
  uvmas::Value three = 3.0;  // a float, e.g. 3.0 sent by a Python peer
  try {
    three.as<int>();  // as Python's operator.index(): a float is never an int
  } catch (const uvmas::ConversionError& e) {
    std::cout << "as<int>() of 3.0: " << e.what() << "\n";
  }
  std::cout << "as<double>() of 3.0: " << three.as<double>() << "\n";
  std::cout << "as<int>() of true: " << uvmas::Value(true).as<int>() << "\n";  // a bool is an int
  std::cout << "as_int() of 7: " << uvmas::Value(7).as_int() << "\n";
  // [end:conversions]
  return 0;
}
