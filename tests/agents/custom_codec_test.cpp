// A codec of the user's own (aiomas accepts any Codec class): it carries the
// frames between two containers, date and agent-reference extensions included,
// decides what an in-process call may carry, and a peer with another codec
// gets a clear decode error instead of garbage.

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/datetime.hpp>
#include <uvmas/codecs/error.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/log.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

namespace {

using namespace uvmas;

// JSON written back to front, and refusing floats: a wire format no built-in
// codec reads, with a rule of its own.
class ReversedJson final : public CustomCodec {
 public:
  std::string name() const override { return "reversed-json"; }
  void encode(const Value& v, std::string& out, const std::shared_ptr<const Serializers>& s) const override {
    refuse_floats(v);
    const std::size_t old = out.size();
    Codec(Format::json, s).encode(v, out);
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(old), out.end());
    encoded += 1;
  }
  Value decode(std::string_view payload, const std::shared_ptr<const Serializers>& s) const override {
    std::string json(payload.rbegin(), payload.rend());
    return Codec(Format::json, s).decode(json);
  }
  mutable std::atomic<int> encoded{0};

 private:
  static void refuse_floats(const Value& v) {
    if (v.is_real()) throw SerializationError("reversed-json carries no floats");
    if (v.is_array())
      for (const Value& e : v.as_array()) refuse_floats(e);
    if (v.is_map())
      for (const auto& [k, e] : v.as_map()) refuse_floats(e);
  }
};

class Clerk : public Agent {
 public:
  explicit Clerk(Container& c) : Agent(c) {
    expose("stamp", &Clerk::stamp);
    expose("take", &Clerk::take);
    expose("ask_back", &Clerk::ask_back);
  }
  // A date in, the same date out: the extension travels through the custom codec.
  DateTime stamp(DateTime d) { return d; }
  Value take(Value v) { return v; }
  // The caller's agent reference arrives as a proxy; calling it crosses back.
  Task<std::string> ask_back(rpc::Proxy caller) {
    DateTime d = co_await caller.call<DateTime>("stamp", parse_iso("2016-01-01T00:00:00+00:00"));
    co_return to_iso(d);
  }
};

ContainerOptions with_codec(std::shared_ptr<ReversedJson> codec) {
  ContainerOptions o;
  o.codec = std::move(codec);
  return o;
}

// Two containers on one codec, a Clerk in each; `run` gets both and shuts them down after.
struct TwoClerks {
  explicit TwoClerks(std::shared_ptr<ReversedJson> codec)
      : a(Container::create(loop, "tcp://127.0.0.1:0", with_codec(codec))),
        b(Container::create(loop, "tcp://127.0.0.1:0", with_codec(codec))),
        here(a->spawn<Clerk>()),
        there(b->spawn<Clerk>()) {}
  template <class F>
  void run(F body) {
    loop.run([](TwoClerks* self, F body) -> Task<> {
      co_await body(*self);
      co_await self->a->shutdown();
      co_await self->b->shutdown();
    }(this, std::move(body)));
  }
  Loop loop;
  std::unique_ptr<Container> a;
  std::unique_ptr<Container> b;
  Clerk& here;
  Clerk& there;
};

TEST(CustomCodec, CarriesCallsDatesAndAgentReferencesBetweenContainers) {
  auto codec = std::make_shared<ReversedJson>();
  TwoClerks two(codec);
  std::string stamped, asked;
  two.run([&](TwoClerks& t) -> Task<> {
    AgentProxy remote = co_await t.a->connect(t.there.addr());
    stamped = to_iso(co_await remote.call<DateTime>("stamp", parse_iso("2020-05-06T07:08:09+00:00")));
    asked = co_await remote.call<std::string>("ask_back", t.here);
  });
  EXPECT_EQ(stamped, "2020-05-06T07:08:09+00:00");
  EXPECT_EQ(asked, "2016-01-01T00:00:00+00:00");
  EXPECT_GT(codec->encoded.load(), 4);
}

// What a call ends with: "ok", or the local error's type and text.
Task<std::string> outcome(AgentProxy proxy, Value arg) {
  try {
    (void)co_await proxy.call("take", arg);
    co_return "ok";
  } catch (const SerializationError& e) {
    co_return std::string("SerializationError: ") + e.what();
  }
}

TEST(CustomCodec, DecidesWhatAnInProcessCallCarriesAsOverASocket) {
  TwoClerks two(std::make_shared<ReversedJson>());
  std::string in_process, across;
  two.run([&](TwoClerks& t) -> Task<> {
    in_process = co_await outcome(co_await t.a->connect(t.here.addr()), Value(1.5));
    across = co_await outcome(co_await t.a->connect(t.there.addr()), Value(1.5));
  });
  EXPECT_EQ(across, "SerializationError: reversed-json carries no floats");
  EXPECT_EQ(in_process, across);
}

TEST(CustomCodec, APeerWithAnotherCodecIsRefusedWithADecodeError) {
  std::vector<std::string> logged;
  set_log_sink([&](LogLevel, std::string_view text) { logged.emplace_back(text); });
  Loop loop;
  auto custom = Container::create(loop, "tcp://127.0.0.1:0", with_codec(std::make_shared<ReversedJson>()));
  auto plain = Container::create(loop, "tcp://127.0.0.1:0");
  auto& there = custom->spawn<Clerk>();
  bool refused = false;
  loop.run([&]() -> Task<> {
    try {
      AgentProxy remote = co_await plain->connect(there.addr());
      (void)co_await remote.call("take", 1);
    } catch (const ConnectionError&) {
      refused = true;
    }
    co_await plain->shutdown();
    co_await custom->shutdown();
  }());
  set_log_sink(nullptr);
  EXPECT_TRUE(refused);
  bool named = false;
  for (const auto& line : logged) named = named || line.find("reversed-json") != std::string::npos;
  EXPECT_TRUE(named) << "no log line names the custom codec";
}

TEST(CustomCodec, NullOrFormatCustomAloneIsRefused) {
  std::shared_ptr<ReversedJson> none;
  EXPECT_THROW(CodecChoice{none}, std::invalid_argument);
  EXPECT_THROW(CodecChoice{Format::custom}, std::invalid_argument);
  EXPECT_THROW((void)Codec(Format::custom), std::invalid_argument);
  EXPECT_EQ(CodecChoice(std::make_shared<ReversedJson>()).name(), "reversed-json");
  EXPECT_EQ(CodecChoice(Format::msgpack).name(), "msgpack");
}

}  // namespace
