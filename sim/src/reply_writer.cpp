// get_data's reply as JSON from the flat OutputData: the same bytes as
// encoding the Value take() builds, without building it.

#include "reply_writer.hpp"

#include <uvmas/codecs/detail/json_events.hpp>

namespace uvmas::sim::detail {

namespace {
// The reply {eid: {attr: value}} is the content of [1, id, reply]: the
// values sit at nesting level 3 of the frame.
constexpr std::size_t value_depth = 3;
}  // namespace

bool ReplyWriter::can_write(const Codec& codec) noexcept {
  return codec.format() == Format::json && codec.options().max_depth > value_depth;
}

void ReplyWriter::write_json(OutputData& data, const OutputRequest& request, const Codec& codec, std::string& out) {
  data.merge_repeats(request);
  const std::size_t old = out.size();
  try {
    out += '{';
    const char* separator = "";
    for (const OutputData::Entity& e : data.entities_) {
      out += separator;
      separator = ", ";
      uvmas::detail::append_json_string(out, e.eid);
      out += ": {";
      const char* inner = "";
      for (std::uint32_t a = e.first; a != OutputData::none; a = data.attrs_[a].next) {
        const OutputData::Attr& attr = data.attrs_[a];
        out += inner;
        inner = ", ";
        uvmas::detail::append_json_string(out, attr.name);
        out += ": ";
        uvmas::detail::append_json(out, attr.value, codec.serializers(), codec.options().max_depth, value_depth);
      }
      out += '}';
    }
    if (data.time) {
      out += separator;
      out += "\"time\": ";
      uvmas::detail::append_json(out, Value(*data.time), codec.serializers(), codec.options().max_depth,
                                 value_depth - 1);
    }
    out += '}';
  } catch (...) {
    out.resize(old);
    throw;
  }
  data.clear();
}

}  // namespace uvmas::sim::detail
