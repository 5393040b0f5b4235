#pragma once
// Lets the handler of a channel decode the request frames it knows better
// itself: the mosaik adapter reads a step's inputs into flat rows instead of
// a Value tree that costs an allocation per node to build and to free.

#include <uvmas/codecs/value.hpp>
#include <uvmas/core/task.hpp>

#include <string_view>

namespace uvmas {
class Channel;
class Request;
}

namespace uvmas::detail {

class RequestDecoder {
 public:
  /// Asked first for each frame while the channel can take a request at
  /// once and observes nothing. Returns true when `payload` is a request
  /// `[0, id, content]` the decoder took whole (the codec would have decoded
  /// it the same way), its id in `id`; the channel then hands its
  /// RequestHandler a Request with that id and null content at once, and the
  /// handler finds the content where the decoder left it. False leaves `id`
  /// alone and the channel decodes the frame as usual.
  virtual bool decode_request(std::string_view payload, Value& id) = 0;

 protected:
  ~RequestDecoder() = default;
};

/// Installs `decoder` on `channel` (nullptr: none). It must outlive the
/// channel or be reset first.
void set_request_decoder(const Channel& channel, RequestDecoder* decoder) noexcept;

/// Answers `request` with a RESULT whose content is `json`, one value as the
/// channel's JSON codec writes it (so a large reply need not become a Value
/// tree first); waits first while the channel is congested, as
/// Request::reply does. On a channel with another codec or an observer the
/// content is decoded and sent the usual way. `json` must stay valid until
/// this completes. Throws std::logic_error if already answered.
Task<> reply_json(Request& request, std::string_view json);

}  // namespace uvmas::detail
