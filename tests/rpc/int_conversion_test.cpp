// One rule for integers, Python's operator.index(): `as<int>()`, `as_int()`
// and an exposed function's `int` parameter accept ints and bools and refuse
// floats (even 2.0) and text alike.

#include <uvmas/codecs/error.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using namespace uvmas;

// What each of the three ways makes of `v`: the number, or "error".
std::string via_as(const Value& v) {
  try {
    return std::to_string(v.as<int>());
  } catch (const ConversionError&) {
    return "error";
  }
}
std::string via_as_int(const Value& v) {
  try {
    return std::to_string(v.as_int());
  } catch (const ConversionError&) {
    return "error";
  }
}

Task<std::string> via_parameter(rpc::Proxy remote, Value v) {
  try {
    co_return std::to_string(co_await remote.call<int>("twice", v) / 2);
  } catch (const RemoteException&) {
    co_return "error";
  }
}

TEST(IntConversion, AsIntAsTAndAnIntParameterFollowOneRule) {
  Loop loop;
  rpc::Router root("__main__.Svc");
  root.expose("twice", [](int x) { return 2 * x; }, {"x"});
  rpc::Connection con = rpc::loopback_connection(loop, root, "test");
  struct Case {
    Value value;
    std::string expected;
  };
  const Case cases[] = {
      {Value(3), "3"},        {Value(-7), "-7"},       {Value(true), "1"},   {Value(false), "0"},
      {Value(2.0), "error"},  {Value(2.5), "error"},   {Value("3"), "error"}, {Value(), "error"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(via_as(c.value), c.expected) << c.value;
    EXPECT_EQ(via_as_int(c.value), c.expected) << c.value;
    EXPECT_EQ(loop.run(via_parameter(con.remote(), c.value)), c.expected) << c.value;
  }
  loop.run(con.close());
}

TEST(IntConversion, TheParameterErrorNamesTheFunctionTheArgumentAndTheKind) {
  Loop loop;
  rpc::Router root("__main__.Svc");
  root.expose("twice", [](int x) { return 2 * x; }, {"x"});
  rpc::Connection con = rpc::loopback_connection(loop, root, "test");
  std::string text;
  loop.run([&]() -> Task<> {
    try {
      (void)co_await con.remote().call<int>("twice", 2.0);
    } catch (const RemoteException& e) {
      text = e.remote_type() + ": " + e.remote_message();
    }
  }());
  EXPECT_EQ(text, "TypeError: Svc.twice() argument 'x': expected int, got float");
  // An int beyond the C++ parameter's range is refused, not wrapped.
  EXPECT_THROW((void)Value(std::int64_t{1} << 40).as<int>(), ConversionError);
  EXPECT_EQ(Value(std::int64_t{1} << 40).as_int(), std::int64_t{1} << 40);
  loop.run(con.close());
}

}  // namespace
