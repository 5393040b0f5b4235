// The step data types on their own: Inputs and OutputRequest as views over a
// decoded request, OutputData as mosaik's get_data reply.

#include <uvmas/core/error.hpp>
#include <uvmas/sim/step_data.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace uvmas;

/// {"A_0": {"x": {"S.s_0": 1, "S.s_1": 2}, "y": {"S.s_0": 3}}, "A_1": {"x": {"S.s_2": 4}}}
Value three_inputs() {
  return Value::map({{"A_0", Value::map({{"x", Value::map({{"S.s_0", 1}, {"S.s_1", 2}})},
                                         {"y", Value::map({{"S.s_0", 3}})}})},
                     {"A_1", Value::map({{"x", Value::map({{"S.s_2", 4}})}})}});
}

std::vector<std::string> sources(std::span<const sim::Input> rows) {
  std::vector<std::string> out;
  for (const sim::Input& in : rows) out.emplace_back(in.source);
  return out;
}

TEST(StepInputs, OneRowPerValueInMosaiksOrder) {
  const sim::Inputs inputs(three_inputs());
  ASSERT_EQ(inputs.size(), 4u);
  std::vector<std::string> rows;
  for (const sim::Input& in : inputs) {
    rows.push_back(std::string(in.eid) + "." + std::string(in.attr) + "<" + std::string(in.source) + "=" +
                   std::to_string(in.value.as_int()));
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"A_0.x<S.s_0=1", "A_0.x<S.s_1=2", "A_0.y<S.s_0=3", "A_1.x<S.s_2=4"}));
}

TEST(StepInputs, FindGivesAnEntitysOrAnAttributesRowsAndNothingForTheAbsent) {
  const sim::Inputs inputs(three_inputs());
  EXPECT_EQ(inputs.find("A_0").size(), 3u);
  EXPECT_EQ(sources(inputs.find("A_0", "x")), (std::vector<std::string>{"S.s_0", "S.s_1"}));
  EXPECT_EQ(sources(inputs.find("A_0", "y")), (std::vector<std::string>{"S.s_0"}));
  EXPECT_EQ(sources(inputs.find("A_1", "x")), (std::vector<std::string>{"S.s_2"}));
  EXPECT_TRUE(inputs.find("A_1", "y").empty());
  EXPECT_TRUE(inputs.find("A_2").empty());
  EXPECT_TRUE(sim::Inputs().find("A_0", "x").empty());
}

TEST(StepInputs, CopiesAndMovesKeepValidRows) {
  sim::Inputs original(three_inputs());
  const sim::Inputs copy = original;
  sim::Inputs moved = std::move(original);
  original = sim::Inputs(Value::map({{"B_0", Value::map({{"z", Value::map({{"S.s_9", "text"}})}})}}));
  EXPECT_EQ(copy.find("A_1", "x").front().value, Value(4));
  EXPECT_EQ(moved.find("A_0", "y").front().value, Value(3));
  EXPECT_EQ(original.begin()->value, Value("text"));
  EXPECT_EQ(copy.value(), three_inputs());
}

TEST(StepInputs, AnotherShapeIsATypeErrorNamingThePart) {
  EXPECT_THROW(sim::Inputs(Value(3)), TypeError);
  EXPECT_THROW(sim::Inputs(Value::map({{"A_0", 1}})), TypeError);
  EXPECT_THROW(sim::Inputs(Value::map({{"A_0", Value::map({{"x", Value::array({1})}})}})), TypeError);
  try {
    sim::Inputs(Value::map({{"A_0", Value::map({{"x", Value::map({{5, 1}})}})}}));
    FAIL() << "no TypeError";
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("an input's source id must be a string"), std::string::npos) << e.what();
  }
}

TEST(StepOutputRequest, ListsEachEntitysAttributesInOrder) {
  const sim::OutputRequest request(
      Value::map({{"A_1", Value::array({"x", "y"})}, {"A_0", Value::array()}, {"A_2", Value::array({"z"})}}));
  std::vector<std::string> seen;
  for (const auto& [eid, attrs] : request) {
    std::string line(eid);
    for (std::string_view attr : attrs) line += " " + std::string(attr);
    seen.push_back(line);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"A_1 x y", "A_0", "A_2 z"}));
  const sim::OutputRequest copy = request;
  EXPECT_EQ(copy.begin()->attrs.back(), "y");
  EXPECT_THROW(sim::OutputRequest(Value::map({{"A_0", "x"}})), TypeError);
  EXPECT_THROW(sim::OutputRequest(Value::map({{"A_0", Value::array({1})}})), TypeError);
}

TEST(StepOutputData, BuildsMosaiksReplyWithEmptyEntitiesAndTheOutputTime) {
  sim::OutputData data;
  data.set("A_0", "x", 1);
  data.set("A_0", "y", 2.5);
  data.set("A_0", "x", 3);  // replaces
  data.entity("A_1");       // sent as {}
  data.time = 7;
  EXPECT_EQ(*data.find("A_0", "x"), Value(3));
  EXPECT_TRUE(data.contains("A_1"));
  EXPECT_EQ(data.find("A_1", "x"), nullptr);
  const Value reply = data.take();
  EXPECT_TRUE(identical(reply, Value::map({{"A_0", Value::map({{"x", 3}, {"y", 2.5}})}, {"A_1", Value::map()},
                                           {"time", 7}})))
      << to_repr(reply);
  EXPECT_TRUE(data.empty());
  EXPECT_FALSE(data.time);
}

TEST(StepOutputData, AnEntityNamedAgainAfterOthersIsMergedIntoItsFirstPlace) {
  const sim::OutputRequest request(
      Value::map({{"A_0", Value::array({"x", "y"})}, {"A_1", Value::array({"x"})}}));
  for (bool with_request : {false, true}) {
    sim::OutputData data;
    data.set("A_0", "x", 1);
    data.set("A_1", "x", 2);
    auto again = data.entity("A_0");
    again.set("y", 3).set("x", 4);
    EXPECT_EQ(again.eid(), "A_0");
    EXPECT_EQ(*data.find("A_0", "x"), Value(4));
    const Value reply = with_request ? data.take(request) : data.take();
    EXPECT_TRUE(identical(reply, Value::map({{"A_0", Value::map({{"x", 4}, {"y", 3}})}, {"A_1", Value::map({{"x", 2}})}})))
        << to_repr(reply);
  }
}

TEST(StepOutputData, InTheRequestsOrderNothingIsMerged) {
  const sim::OutputRequest request(
      Value::map({{"A_0", Value::array({"x"})}, {"A_1", Value::array({"x"})}, {"A_2", Value::array({"x"})}}));
  sim::OutputData data;
  data.reserve(request.size());
  for (const auto& [eid, attrs] : request) {
    if (eid != "A_1") data.set(eid, attrs.front(), std::string(eid));
  }
  EXPECT_TRUE(identical(data.take(request), Value::map({{"A_0", Value::map({{"x", "A_0"}})},
                                                        {"A_2", Value::map({{"x", "A_2"}})}})));
}

}  // namespace
