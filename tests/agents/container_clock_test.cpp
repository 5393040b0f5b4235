// A container's own ExternalClock starts where aiomas's
// `ExternalClock(utc_start, init_time)` starts, set from ContainerOptions.

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/codecs/datetime.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using namespace uvmas;

TEST(ContainerClock, TheOwnExternalClockTakesInitTimeAndUtcStart) {
  ContainerOptions options;
  options.clock = OwnClock::external;
  options.init_time = -1;
  options.utc_start = parse_iso("2016-01-01T00:00:00+01:00");
  auto c = Container::create("local://clock-options", options);
  ExternalClock* clock = c->external_clock();
  ASSERT_NE(clock, nullptr);
  EXPECT_EQ(clock->time(), -1);
  // As aiomas: the start date is converted to UTC, then shifted by the time.
  EXPECT_EQ(to_iso(clock->utcnow()), "2015-12-31T22:59:59+00:00");
  clock->set_time(3600.5);
  EXPECT_EQ(to_iso(clock->utcnow()), "2016-01-01T00:00:00.500000+00:00");
  c->run(c->shutdown());
}

TEST(ContainerClock, WithoutSettingsTheClockStartsAtZeroOnAiomasDefaultDate) {
  ContainerOptions options;
  options.clock = OwnClock::external;
  auto c = Container::create("local://clock-defaults", options);
  EXPECT_EQ(c->external_clock()->time(), 0);
  EXPECT_EQ(to_iso(c->external_clock()->utcnow()), "2016-01-01T00:00:00+00:00");
  c->run(c->shutdown());
}

TEST(ContainerClock, ClockSettingsWithoutAnOwnExternalClockAreRefused) {
  ContainerOptions options;
  options.init_time = 5;  // but a wall clock
  try {
    auto c = Container::create("local://clock-refused", options);
    FAIL() << "created";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "ContainerOptions: init_time and utc_start apply to the container's own ExternalClock "
                 "(clock = OwnClock::external)");
  }
}

TEST(ContainerClock, ExternalClockTrueIsTheSameAsOwnClockExternal) {
  ContainerOptions options;
  options.external_clock = true;
  options.init_time = 2;
  auto c = Container::create("local://clock-flag", options);
  ASSERT_NE(c->external_clock(), nullptr);
  EXPECT_EQ(c->external_clock()->time(), 2);
  c->run(c->shutdown());

  Loop loop;
  ExternalClock mine(loop);
  ContainerOptions both;
  both.external_clock = true;
  both.clock = &mine;
  EXPECT_THROW(Container::create(loop, "local://clock-flag-both", both), std::invalid_argument);
}

}  // namespace
