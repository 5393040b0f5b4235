#pragma once
// The body of the three codec targets: decode arbitrary bytes; whatever
// decodes must encode again and decode to the same value.

#include "fuzz_target.hpp"

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/datetime.hpp>

#include <cstdlib>
#include <exception>

namespace uvmas::fuzz {

inline Codec codec_with_serializers(Format format) {
  // As a container's channel sees it: the datetime type and the rpc proxy type are known.
  auto serializers = std::make_shared<Serializers>();
  serializers->add(std::string(datetime_type_name));
  serializers->add("proxy");
  return Codec(format, std::move(serializers), CodecOptions{});
}

inline void decode_and_reencode(Format format, std::string_view bytes) {
  static const Codec raw(format);
  static const Codec typed = codec_with_serializers(format);
  for (const Codec* codec : {&raw, &typed}) {
    Value v;
    try {
      v = codec->decode(bytes);
    } catch (const std::exception&) {
      continue;  // a clear error is the right answer to bad bytes
    }
    std::string again;
    try {
      codec->encode(v, again);
    } catch (const std::exception&) {
      continue;  // e.g. a decoded extension whose data this side cannot encode back
    }
    Value back = codec->decode(again);
    if (!(back == v) && !identical(back, v)) {
      // NaN compares unequal to itself: only a real difference is a finding.
      if (to_repr(back) != to_repr(v)) std::abort();
    }
  }
}

/// The payloads (frames without their header) of the vector file `name`.
inline std::vector<std::string> payload_seeds(const VectorFile& vectors, std::string_view name) {
  std::vector<std::string> out;
  if (vectors.name != name) return out;
  for (std::string& frame : frames_of(vectors, "")) out.push_back(frame.substr(4));
  return out;
}

}  // namespace uvmas::fuzz
