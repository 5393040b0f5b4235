// `uvmas serve` and `uvmas call` as processes: the interop test service answers
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

namespace {

using uvmas::test::bin_dir;
using uvmas::test::run_process;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

/// `uvmas call <serve's address> ARGS` with stderr folded into the output.
uvmas::test::ProcessResult call_with_errors(const ServeProcess& serve, const std::string& args) {
  return run_process(bin_dir() + "/uvmas call " + serve.address() + " " + args + " 2>&1");
}

TEST(CliCall, KwTakesOneNameValueAndLeavesTheWordsAfterItPositional) {
  ServeProcess serve("json");
  EXPECT_EQ(serve.call("add --kw b=2 1"), "3\n");
  EXPECT_EQ(serve.call("add --kw b=2 --kw a=1"), "3\n");
}

TEST(CliCall, AnArgThatLooksLikeJsonMustParseUnlessRaw) {
  ServeProcess serve("json");
  auto r = call_with_errors(serve, "echo '{\"a\": 1'");
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.out.find("argument '{\"a\": 1' looks like JSON but does not parse"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("use --raw to send it as text"), std::string::npos) << r.out;
  r = call_with_errors(serve, "echo 12x");
  EXPECT_EQ(r.exit_code, 64) << r.out;
  r = call_with_errors(serve, "add --kw a=[1 --kw b=2");
  EXPECT_EQ(r.exit_code, 64) << r.out;
  EXPECT_EQ(serve.call("echo --raw '{\"a\": 1'"), "\"{\\\"a\\\": 1\"\n");
  EXPECT_EQ(serve.call("add --raw 1 2"), "\"12\"\n");
  EXPECT_EQ(serve.call("echo hello"), "\"hello\"\n");
}

TEST(CliCall, TimeoutGivesUpWithExitStatusTwo) {
  ServeProcess serve("json");
  auto r = call_with_errors(serve, "sleep 30 --timeout 0.2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("uvmas call: no answer: timed out after 0.2 s"), std::string::npos) << r.out;
  EXPECT_EQ(serve.call("sleep 0 '\"soon\"' --timeout 30"), "\"soon\"\n");
}

TEST(CliCall, ACallThatCannotConnectSaysSoOnce) {
  auto path = uvmas::test::temp_socket_path("nobody");
  auto r = run_process(bin_dir() + "/uvmas call 'ipc://[" + path + "]' add 1 2 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count(r.out, "cannot connect to"), 1u) << r.out;
  EXPECT_EQ(count(r.out, path), 1u) << r.out;
}

TEST(CliCall, UsageErrorsExitWith64AndTheHelpListsTheExitStatuses) {
  auto r = run_process(bin_dir() + "/uvmas call 2>&1");
  EXPECT_EQ(r.exit_code, 64) << r.out;
  r = run_process(bin_dir() + "/uvmas call tcp://127.0.0.1:1 add --kw nope 2>&1");
  EXPECT_EQ(r.exit_code, 64) << r.out;
  EXPECT_NE(r.out.find("--kw expects NAME=VALUE, got 'nope'"), std::string::npos) << r.out;
  r = run_process(bin_dir() + "/uvmas --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* line : {"  0   success", "  1   the remote side raised an exception",
                           "  2   connection trouble", "  64  usage"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
}

TEST(CliCall, LogLevelDebugShowsTheConnectionOpenAndClose) {
  ServeProcess serve("json");
  for (const std::string how : {"--log-level debug", "UVMAS_LOG=debug"}) {
    const bool env = how.rfind("UVMAS_LOG", 0) == 0;
    auto r = run_process((env ? how + " " : std::string()) + bin_dir() + "/uvmas call " + serve.address() +
                         " add 1 2 " + (env ? std::string() : how) + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << how << "\n" << r.out;
    EXPECT_NE(r.out.find("uvmas: debug: connection to ('127.0.0.1', "), std::string::npos) << how << "\n" << r.out;
    EXPECT_NE(r.out.find(") opened\n"), std::string::npos) << how << "\n" << r.out;
    EXPECT_NE(r.out.find(") closed: "), std::string::npos) << how << "\n" << r.out;
  }
  auto quiet = call_with_errors(serve, "add 1 2");
  EXPECT_EQ(quiet.out, "3\n");
  auto bad = call_with_errors(serve, "add 1 2 --log-level loud");
  EXPECT_EQ(bad.exit_code, 64) << bad.out;
}

}  // namespace
