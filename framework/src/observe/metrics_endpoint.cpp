// `GET /metrics` on the observer's loop: a minimal HTTP/1.1 responder (one
// request per connection, then a graceful close). Debian 12 packages no C++
// Prometheus client, and the exposition is a plain text body, so a small
// responder beside the container beats a web server with threads of its own.

#include "uvmas/framework/observe.hpp"

#include "uvmas/core/error.hpp"
#include "uvmas/transports/connect.hpp"

#include <list>

namespace uvmas {

namespace {

// Bounds what a client can make the endpoint hold.
constexpr std::size_t max_request_head = 8192;
constexpr std::size_t max_open = 64;

class Responder final : public StreamHandler {
 public:
  Responder(StreamPtr stream, const Observer& observer) : stream_(std::move(stream)), observer_(observer) {
    stream_->start(*this);
  }
  ~Responder() { stream_->close(); }
  bool done() const noexcept { return done_; }

  void on_read(std::string_view data) override {
    if (done_) return;
    head_.append(data);
    const auto end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() > max_request_head) answer("431 Request Header Fields Too Large", "request head too large\n");
      return;
    }
    const std::string_view line = std::string_view(head_).substr(0, head_.find("\r\n"));
    if (line.starts_with("GET /metrics ") || line == "GET /metrics") {
      answer("200 OK", observer_.prometheus_text(), "text/plain; version=0.0.4; charset=utf-8");
    } else if (line.starts_with("GET ")) {
      answer("404 Not Found", "only /metrics is served here\n");
    } else {
      answer("405 Method Not Allowed", "only GET is served here\n");
    }
  }
  void on_closed(std::string_view) override { done_ = true; }

 private:
  void answer(std::string_view status, const std::string& body) {
    answer(status, body, "text/plain; charset=utf-8");
  }
  void answer(std::string_view status, const std::string& body, std::string_view type) {
    std::string& out = stream_->out();
    out += "HTTP/1.1 ";
    out += status;
    out += "\r\nContent-Type: ";
    out += type;
    out += "\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\nConnection: close\r\n\r\n";
    out += body;
    done_ = true;
    std::string().swap(head_);
    stream_->close_gracefully();
  }

  StreamPtr stream_;
  const Observer& observer_;
  std::string head_;
  bool done_ = false;
};

class Endpoint final : public MetricsEndpoint {
 public:
  Endpoint(Loop& loop, const Address& address, const Observer& observer) : observer_(observer) {
    listener_ = listen_stream(loop, address, [this](StreamPtr s) { accept(std::move(s)); });
  }
  ~Endpoint() override { listener_->close(); }
  const Address& address() const noexcept override { return listener_->address(); }

 private:
  void accept(StreamPtr stream) {
    open_.remove_if([](const Responder& r) { return r.done(); });
    if (open_.size() >= max_open) open_.pop_front();  // the oldest silent client gives way
    open_.emplace_back(std::move(stream), observer_);
  }

  const Observer& observer_;
  std::list<Responder> open_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace

std::unique_ptr<MetricsEndpoint> serve_metrics(Loop& loop, std::string_view host_port, const Observer& observer) {
  std::string text(host_port);
  if (text.find("://") == std::string::npos) text = "tcp://" + text;
  Address address = Address::parse(text);
  if (address.kind != Address::Kind::tcp) throw ValueError("metrics are served over TCP, not at " + std::string(host_port));
  return std::make_unique<Endpoint>(loop, address, observer);
}

}  // namespace uvmas
