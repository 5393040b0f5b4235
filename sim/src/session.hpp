// Session: one mosaik connection, served by one Simulator. Dispatch lives in
// session.cpp, stepping in step.cpp.

#pragma once

#include "request_reader.hpp"

#include "uvmas/sim/mosaik.hpp"

#include "uvmas/core/wait_list.hpp"
#include "uvmas/framework/detail/request_decoder.hpp"

#include <memory>
#include <optional>

namespace uvmas::sim {

class Session final : public RequestHandler, public uvmas::detail::RequestDecoder {
 public:
  Session(Channel channel, Simulator& sim)
      : channel_(std::move(channel)), sim_(sim), ended_(sim.loop()), requests_(sim.loop(), "mosaik request") {}
  // Also runs when serving is cancelled mid-way (its loop goes away): leave
  // nothing behind that points here.
  ~Session() {
    *alive_ = false;
    uvmas::detail::set_request_decoder(channel_, nullptr);
    channel_.set_request_handler(nullptr);
    sim_.mosaik_.channel_ = Channel();
    requests_.cancel();
  }

  /// Steps and get_data requests are read flat (RequestReader); the rest
  /// the channel decodes.
  bool decode_request(std::string_view payload, Value& id) override;
  void on_request(Request request) override;

  static Task<> serve(Channel channel, Simulator* sim);

 private:
  static Task<> handle(Session* self, Request request);
  /// A step or get_data the reader took; its storage goes back to the
  /// reader once the reply is sent.
  static Task<> handle_read(Session* self, Request request, detail::RequestReader::Function function, Time time,
                            Time max_advance, Inputs inputs, OutputRequest outputs);
  /// Steps the simulator; the inputs land in `inputs`, which the caller
  /// keeps until the reply is sent (the tree is freed after mosaik has it).
  static Task<Value> step(Session* self, Array& args, Inputs& inputs);
  /// Steps the simulator to `time` with `inputs`.
  static Task<Value> step(Session* self, Time time, const Inputs& inputs, Time max_advance);
  Value call(const std::string& function, Array& args, const Map& kwargs);
  Value init(Array& args, const Map& kwargs);
  Value create(Array& args, const Map& kwargs);
  /// Answers get_data; the request lands in `request`, which the caller
  /// keeps until the reply is sent.
  Value get_data(Array& args, OutputRequest& request);

  Channel channel_;
  Simulator& sim_;
  Event ended_;
  // The channel's close callback cannot be removed; it checks this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<Time> last_step_;
  bool stepping_ = false;
  // Nothing but init (and stop) is served before an init succeeded: the
  // simulator's hooks may rely on what init set up.
  bool initialized_ = false;
  // The last frame decode_request took, until on_request hands it on.
  detail::RequestReader reader_;
  bool read_ = false;
  // The JSON of the last get_data reply written flat: its room serves the next.
  std::string reply_buffer_;
  TaskGroup requests_;
};

}  // namespace uvmas::sim
