#pragma once
// Reading tests/data/vectors/aiomas/*.jsonl: hex, the README's escapes, and the
// lines of one case, for the replay tests of every layer.

#include <uvmas/codecs/codec.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace uvmas::test {

inline std::string from_hex(std::string_view hex) {
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(nib(hex[2 * i]) << 4 | nib(hex[2 * i + 1]));
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

/// Undoes the README's escapes: {"$bytes": hex}, {"$float": "nan"|"inf"|"-inf"}, {"$map": [[k, v], ...]}.
inline Value unescape(const Value& v) {
  if (v.is_array()) {
    Array out;
    for (const auto& e : v.as_array()) out.push_back(unescape(e));
    return Value(std::move(out));
  }
  if (!v.is_map()) return v;
  const Map& m = v.as_map();
  if (m.size() == 1 && m[0].first.is_string()) {
    const std::string& k = m[0].first.as_string();
    if (k == "$bytes") return Value::bytes(from_hex(m[0].second.as_string()));
    if (k == "$float") {
      const std::string& f = m[0].second.as_string();
      if (f == "nan") return Value(std::numeric_limits<double>::quiet_NaN());
      return Value(f == "inf" ? HUGE_VAL : -HUGE_VAL);
    }
    if (k == "$map") {
      Map out;
      for (const auto& pair : m[0].second.as_array())
        out.emplace_back(unescape(pair.as_array().at(0)), unescape(pair.as_array().at(1)));
      return Value(std::move(out));
    }
  }
  Map out;
  for (const auto& [k, e] : m) out.emplace_back(unescape(k), unescape(e));
  return Value(std::move(out));
}

/// One recorded frame.
struct VectorFrame {
  std::string case_name;
  bool from_client = false;  ///< direction client->server
  int msg_type = 0;
  std::string frame;    ///< header + payload bytes
  std::string inner;    ///< blosc: the decompressed msgpack bytes; else the payload
  Value decoded;        ///< the triple, escapes undone, __type__ maps left as maps
};

/// All frames of `file` ("json", "msgpack", "msgpack_blosc"), grouped by case, in order.
inline std::map<std::string, std::vector<VectorFrame>> load_vectors(const std::string& codec_name) {
  std::ifstream in(std::string(UVMAS_TEST_DATA_DIR) + "/vectors/aiomas/" + codec_name + ".jsonl");
  const Codec reader(Format::json);
  std::map<std::string, std::vector<VectorFrame>> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Value rec = reader.decode(line);
    VectorFrame f;
    f.case_name = rec.at("case").as_string();
    f.from_client = rec.at("direction").as_string() == "client->server";
    f.msg_type = static_cast<int>(rec.at("msg_type").as_int());
    f.frame = from_hex(rec.at("frame_hex").as_string());
    f.inner = rec.find("inner_hex") ? from_hex(rec.at("inner_hex").as_string()) : f.frame.substr(4);
    f.decoded = unescape(rec.at("decoded"));
    cases[f.case_name].push_back(std::move(f));
  }
  return cases;
}

}  // namespace uvmas::test
