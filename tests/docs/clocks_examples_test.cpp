// The examples of docs/clocks.md print what the guide promises, and end by
// themselves (`timeout` fails a hung one instead of waiting for CTest).

#include "support/process.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace {

using uvmas::test::bin_dir;
using uvmas::test::run_process;

TEST(ClocksExamples, HelloWorldOnTcpEndsByItself) {
  auto r = run_process("timeout 60 " + bin_dir() + "/example-hello_world tcp://127.0.0.1:0");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "Monty says:\nHello, World!\nHello, World!\nHello, World!\n");
}

TEST(ClocksExamples, TimersAndStepsHappenAtTheirClockTimes) {
  auto r = run_process("timeout 60 " + bin_dir() + "/example-clocks");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "1: slept 1 s, it is 2016-01-01T00:00:01+00:00\n"
            "2: call_in(2.0) fired\n"
            "3: call_at(3.0) fired\n"
            "4: woke at 4\n"
            "step to 1.5\n"
            "step to 1.75\n"
            "1.75: got 2.75\n");
}

TEST(ClocksExamples, ChildContainersFollowTheParentsSteps) {
  auto r = run_process("timeout 60 " + bin_dir() + "/example-clocks_children");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "step to 1\ncompute(1) = 2\nstep to 2\ncompute(2) = 4\n");
}

}  // namespace
