// Session dispatch: mosaik's requests to the Simulator's hooks, and the
// answers (or failures) back in mosaik's shapes.

#include "session.hpp"

#include "reply_writer.hpp"
#include "wire.hpp"

#include "uvmas/codecs/error.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace uvmas::sim {

using namespace detail;

namespace {

/// Python's AttributeError: what mosaik-api answers for a method it does not have.
struct AttributeError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "AttributeError"; }
};

/// mosaik's failure content: an array of at least two strings, the error's
/// class and its message (the class again when there is no message).
Value failure_content(const std::exception_ptr& e) {
  ErrorDescription d = describe(e);
  Array content;
  content.reserve(2);
  content.emplace_back(d.type);
  content.emplace_back(d.message.empty() ? std::move(d.type) : std::move(d.message));
  return Value(std::move(content));
}

}  // namespace

Task<> Session::serve(Channel channel, Simulator* sim) {
  Session session(channel, *sim);
  // mosaik's requests drive the steps; they are not the agents' traffic a step waits for.
  channel.set_control();
  sim->mosaik_.channel_ = channel;
  channel.set_request_handler(&session);
  uvmas::detail::set_request_decoder(channel, &session);
  channel.on_close([s = &session, alive = session.alive_](std::string_view) {
    if (*alive) s->ended_.set();
  });
  co_await session.ended_.wait();
  uvmas::detail::set_request_decoder(channel, nullptr);
  channel.set_request_handler(nullptr);
  try {
    sim->stop();
  } catch (const std::exception& e) {
    log(LogLevel::error, std::string("mosaik simulator: stop() failed: ") + e.what());
  }
  session.requests_.cancel();
  sim->tasks_.cancel();
  try {
    co_await sim->shutdown();
  } catch (const std::exception& e) {
    log(LogLevel::error, std::string("mosaik simulator: shutdown() failed: ") + e.what());
  }
  sim->mosaik_.channel_ = Channel();
  co_await channel.close();
}

Task<> Session::handle(Session* self, Request request) {
  std::exception_ptr error;
  Value result;
  bool answer = true;
  // Destroyed after the reply is sent: mosaik does not wait for a large
  // request's tree to be freed.
  Inputs inputs;
  OutputRequest outputs;
  try {
    Value& content = request.content();
    if (!content.is_array() || content.size() != 3 || !content[0].is_string() || !content[1].is_array() ||
        !content[2].is_map()) {
      throw TypeError("a request must be [function, [args...], {kwargs...}], got " + repr(content));
    }
    const std::string function = content[0].as_string();
    Array& args = content[1].as_array();
    if (!self->initialized_ && function != "init" && function != "stop") {
      throw ValueError("\"" + function + "\" before a successful init: call init first");
    }
    if (function == "step") {
      result = co_await step(self, args, inputs);
    } else if (function == "stop") {
      // mosaik needs no reply (it waits 0.1 s at most, then closes).
      answer = false;
      self->ended_.set();
    } else if (function == "get_data") {
      result = self->get_data(args, outputs);
    } else {
      result = self->call(function, args, content[2].as_map());
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (!answer) co_return;
  if (error) {
    co_await request.fail_value(failure_content(error));
  } else {
    co_await request.reply(std::move(result));
  }
}

bool Session::decode_request(std::string_view payload, Value& id) {
  // Before init the usual path answers (with its error).
  if (!initialized_ || read_ || !reader_.read(payload, channel_.codec())) return false;
  id = std::move(reader_.id());
  read_ = true;
  return true;
}

void Session::on_request(Request request) {
  if (!std::exchange(read_, false)) {
    requests_.spawn(handle(this, std::move(request)));
    return;
  }
  const Time time = reader_.time();
  requests_.spawn(handle_read(this, std::move(request), reader_.function(), time, reader_.max_advance().value_or(time),
                              reader_.take_inputs(), reader_.take_outputs()));
}

Task<> Session::handle_read(Session* self, Request request, RequestReader::Function function, Time time,
                            Time max_advance, Inputs inputs, OutputRequest outputs) {
  std::exception_ptr error;
  Value result;
  // get_data's reply, written as JSON straight from the simulator's rows
  // (the buffer of an earlier reply is reused); empty: `result` is sent.
  std::string json;
  try {
    if (function == RequestReader::Function::step) {
      result = co_await step(self, time, inputs, max_advance);
    } else {
      OutputData data = self->sim_.get_data(outputs);
      const Codec& codec = self->channel_.codec();
      bool written = false;
      if (ReplyWriter::can_write(codec)) {
        json = std::move(self->reply_buffer_);
        json.clear();
        try {
          ReplyWriter::write_json(data, outputs, codec, json);
          written = true;
        } catch (const CodecError&) {
          // Sent as a Value, the reply fails the way encoding it does.
        }
      }
      if (!written) {
        json.clear();
        result = data.take(outputs);
      }
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    co_await request.fail_value(failure_content(error));
  } else if (!json.empty()) {
    co_await uvmas::detail::reply_json(request, json);
  } else {
    co_await request.reply(std::move(result));
  }
  self->reader_.recycle(std::move(inputs));
  self->reader_.recycle(std::move(outputs));
  if (json.capacity() > self->reply_buffer_.capacity()) self->reply_buffer_ = std::move(json);
}

Value Session::call(const std::string& function, Array& args, const Map& kwargs) {
  if (function == "init") return init(args, kwargs);
  if (function == "create") return create(args, kwargs);
  if (function == "setup_done") {
    sim_.setup_done();
    return Value();
  }
  auto method = sim_.extra_methods_.find(function);
  if (method == sim_.extra_methods_.end()) {
    throw AttributeError("simulator has no method \"" + function + "\"");
  }
  return method->second(args, to_params(kwargs, ""));
}

Value Session::init(Array& args, const Map& kwargs) {
  if (initialized_) throw ValueError("init() was already called (sid " + repr(Value(sim_.sid_)) + ")");
  if (args.size() != 1) throw TypeError("init() takes one positional argument (the sid)");
  const std::string& sid = text_arg(args[0], "the sid");
  double resolution = 1.0;
  for (const auto& [key, value] : kwargs) {
    if (key.is_string() && key.as_string() == "time_resolution") {
      if (!value.is_number()) throw TypeError("time_resolution must be a number, got " + repr(value));
      resolution = value.as_double();
    }
  }
  if (!(resolution > 0) || !std::isfinite(resolution)) {
    throw ValueError("time_resolution must be a positive number, got " + std::to_string(resolution));
  }
  Params params = to_params(kwargs, "time_resolution");
  sim_.sid_ = sid;
  sim_.time_resolution_ = resolution;
  Meta meta;
  try {
    meta = sim_.init(sid, resolution, params);
  } catch (...) {
    sim_.sid_.clear();
    sim_.time_resolution_ = 1.0;
    throw;
  }
  sim_.type_ = meta.type;
  for (const auto& [name, method] : sim_.extra_methods_) {
    if (std::find(meta.extra_methods.begin(), meta.extra_methods.end(), name) == meta.extra_methods.end()) {
      meta.extra_methods.push_back(name);
    }
  }
  check_meta(meta);
  initialized_ = true;
  return to_value(meta);
}

Value Session::create(Array& args, const Map& kwargs) {
  if (args.size() != 2) throw TypeError("create() takes two positional arguments (num, model)");
  const Time num = time_arg(args[0], "num");
  if (num < 0) throw ValueError("num must not be negative, got " + std::to_string(num));
  const std::string& model = text_arg(args[1], "the model");
  std::vector<EntityDescription> entities = sim_.create(num, model, to_params(kwargs, ""));
  if (static_cast<Time>(entities.size()) != num) {
    throw ValueError("create() of " + model + " made " + std::to_string(entities.size()) + " entities, not " +
                     std::to_string(num));
  }
  Array out;
  out.reserve(entities.size());
  for (const auto& e : entities) out.push_back(to_value(e));
  return Value(std::move(out));
}

Value Session::get_data(Array& args, OutputRequest& request) {
  if (args.size() != 1) throw TypeError("get_data() takes one positional argument (the outputs)");
  request = OutputRequest(std::move(args[0]));
  return sim_.get_data(request).take(request);
}

Task<> serve(Channel channel, Simulator& simulator) { return Session::serve(std::move(channel), &simulator); }

}  // namespace uvmas::sim
