// `uvmas serve` and `uvmas call` as processes: the INTEROP.md service answers
// the CLI client; errors and exit codes are what the help promises.

#include "support/process.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

using uvmas::test::bin_dir;
using uvmas::test::run_process;

/// A running `uvmas serve`; its address comes from the READY line.
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& codec) {
    pipe_ = ::popen((bin_dir() + "/uvmas serve tcp://127.0.0.1:0 --codec " + codec).c_str(), "r");
    char line[256] = {};
    if (pipe_ && std::fgets(line, sizeof line, pipe_)) {
      std::string l(line);
      if (l.rfind("READY ", 0) == 0) address_ = l.substr(6, l.find_last_not_of("\r\n") - 5);
    }
  }
  ~ServeProcess() {
    if (pipe_) {
      run_process(bin_dir() + "/uvmas call " + address_ + " shutdown --codec " + codec_ + " 2>/dev/null");
      exit_code_ = ::pclose(pipe_);
    }
  }
  const std::string& address() const { return address_; }
  std::string call(const std::string& args) const { return call_result(args).out; }
  uvmas::test::ProcessResult call_result(const std::string& args) const {
    return run_process(bin_dir() + "/uvmas call " + address_ + " " + args + " --codec " + codec_ + " 2>/dev/null");
  }
  std::string codec_ = "json";

 private:
  FILE* pipe_ = nullptr;
  std::string address_;
  int exit_code_ = -1;
};

class CliCodecs : public ::testing::TestWithParam<std::string> {};

TEST_P(CliCodecs, CallTalksToServe) {
  ServeProcess serve(GetParam());
  serve.codec_ = GetParam();
  ASSERT_FALSE(serve.address().empty());
  EXPECT_EQ(serve.call("add 3 4"), "7\n");
  EXPECT_EQ(serve.call("add foo bar"), "\"foobar\"\n");
  EXPECT_EQ(serve.call("add --kw a=1 --kw b=2"), "3\n");
  EXPECT_EQ(serve.call("add 1 --kw b=2"), "3\n");
  EXPECT_EQ(serve.call("sub/mul 2 3"), "6\n");
  EXPECT_EQ(serve.call("get_sub"), "{\"__type__\": [0, \"sub\"]}\n");
  EXPECT_EQ(serve.call("echo '{\"a\": [1, 2.5, null]}'"), "{\"a\": [1, 2.5, null]}\n");
  EXPECT_EQ(serve.call("sleep 0.01 '\"done\"'"), "\"done\"\n");
  EXPECT_EQ(serve.call("big_list 3"), "[0, 1, 2]\n");
}

INSTANTIATE_TEST_SUITE_P(Codecs, CliCodecs, ::testing::Values("json", "msgpack", "msgpack_blosc"));

TEST(Cli, RemoteErrorsExitOneWithTheRemoteText) {
  ServeProcess serve("json");
  auto r = run_process(bin_dir() + "/uvmas call " + serve.address() + " raise_value_error boom 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("ValueError: boom\n"), std::string::npos) << r.out;
  r = run_process(bin_dir() + "/uvmas call " + serve.address() + " not_exposed 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("LookupError: \"uvmas.serve.TestService.not_exposed\" is not exposed"), std::string::npos)
      << r.out;
  r = run_process(bin_dir() + "/uvmas call " + serve.address() + " add 1 x 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("TypeError"), std::string::npos) << r.out;
}

TEST(Cli, ShutdownEndsTheServerAndCallThenCannotConnect) {
  std::string address;
  {
    ServeProcess serve("json");
    address = serve.address();
    EXPECT_EQ(serve.call("shutdown"), "\"bye\"\n");
  }
  auto r = run_process(bin_dir() + "/uvmas call " + address + " add 1 2 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("cannot connect"), std::string::npos) << r.out;
}

}  // namespace
