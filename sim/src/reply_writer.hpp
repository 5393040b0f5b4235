// ReplyWriter: get_data's reply written from OutputData's rows straight into
// the JSON of the reply frame.

#pragma once

#include "uvmas/sim/step_data.hpp"

#include <uvmas/codecs/codec.hpp>

#include <string>

namespace uvmas::sim::detail {

struct ReplyWriter {
  /// Whether write_json can write replies in `codec` (its JSON, deep enough).
  static bool can_write(const Codec& codec) noexcept;
  /// Appends to `out` what the JSON codec makes of `data.take(request)`, and
  /// leaves `data` empty. Throws what encoding that Value would throw; then
  /// `out` is as it was and `data` holds the same reply.
  static void write_json(OutputData& data, const OutputRequest& request, const Codec& codec, std::string& out);
};

}  // namespace uvmas::sim::detail
