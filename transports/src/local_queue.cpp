// The in-process transport (`local://<queue id>`): the same frames as TCP,
// for deterministic tests and simulations. Each loop has its own set of
// queues (no process-wide registry). Bytes written are delivered through the
// loop's FIFO soon queue, so the order of deliveries across all connections
// depends only on the order of operations: a run on local queues with an
// ExternalClock is bit-reproducible.
#include "stream_factories.hpp"
#include "uvmas/core/error.hpp"

#include <map>

namespace uvmas::detail {

namespace {

class LocalListener;

/// The loop's queue registry: queue id -> listening server.
class LocalRegistry final : public LoopService {
 public:
  explicit LocalRegistry(Loop&) {}
  std::map<std::string, LocalListener*> servers;
};

class LocalStream final : public Stream {
 public:
  LocalStream(Loop& loop, std::string peer) : loop_(loop), peer_(std::move(peer)) {}
  ~LocalStream() override { close(); }

  void pair(LocalStream* other) noexcept { peer_stream_ = other; }

  void start(StreamHandler& handler) override {
    handler_ = &handler;
    paused_ = false;
    schedule();
  }
  void pause_reading() override { paused_ = true; }
  void resume_reading() override {
    paused_ = false;
    schedule();
  }
  void flush() override {
    if (closed_ || out_.empty()) return;
    if (!peer_stream_) {
      out_.clear();
      return;
    }
    peer_stream_->inbox_.append(out_);
    out_.clear();
    peer_stream_->schedule();
  }
  std::size_t buffered() const noexcept override { return 0; }
  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    deliver_.unlink();
    if (peer_stream_) {
      peer_stream_->peer_closed_ = true;
      peer_stream_->peer_stream_ = nullptr;
      peer_stream_->schedule();
      peer_stream_ = nullptr;
    }
  }
  bool closed() const noexcept override { return closed_; }
  std::string peer_name() const override { return peer_; }
  Loop& loop() const noexcept override { return loop_; }

 private:
  struct Deliver final : SoonCallback {
    LocalStream* self;
    explicit Deliver(LocalStream* s) : self(s) {}
    void fire() override { self->deliver(); }
  };

  // Bytes waiting here are frames in flight for the idle check: their sender
  // counted them (FrameTally) and the channel counts them handled.
  void schedule() {
    if (closed_ || !handler_ || paused_) return;
    if (inbox_.empty() && !peer_closed_) return;
    if (!deliver_.linked()) loop_.call_soon(deliver_);
  }
  void deliver() {
    if (closed_ || !handler_ || paused_) return;
    if (!inbox_.empty()) {
      std::string chunk;
      chunk.swap(inbox_);
      // The handler may destroy this stream (by dropping its owner) in on_read.
      std::weak_ptr<bool> alive = alive_;
      handler_->on_read(chunk);
      if (alive.expired() || closed_) return;
    }
    if (peer_closed_ && inbox_.empty()) {
      StreamHandler* h = handler_;
      closed_ = true;
      h->on_closed("connection closed by peer");
    }
  }

  Loop& loop_;
  std::string peer_;
  LocalStream* peer_stream_ = nullptr;
  StreamHandler* handler_ = nullptr;
  std::string inbox_;
  Deliver deliver_{this};
  bool paused_ = true;
  bool closed_ = false;
  bool peer_closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class LocalListener final : public Listener {
 public:
  LocalListener(Loop& loop, std::string id, AcceptCallback cb)
      : loop_(loop), address_(Address::local(std::move(id))), on_accept_(std::move(cb)) {
    auto& reg = loop_.service<LocalRegistry>();
    if (reg.servers.count(address_.path)) {
      throw ConnectionError("listen on " + address_.url() + ": a server is already running on this queue");
    }
    reg.servers[address_.path] = this;
  }
  ~LocalListener() override { close(); }
  const Address& address() const noexcept override { return address_; }
  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    loop_.service<LocalRegistry>().servers.erase(address_.path);
  }
  void accept(StreamPtr s) { on_accept_(std::move(s)); }

 private:
  Loop& loop_;
  Address address_;
  AcceptCallback on_accept_;
  bool closed_ = false;
};

}  // namespace

Task<StreamPtr> local_connect(Loop& loop, std::string queue_id) {
  auto& reg = loop.service<LocalRegistry>();
  auto it = reg.servers.find(queue_id);
  if (it == reg.servers.end()) {
    throw ConnectionError("cannot connect to local://" + queue_id + ": connection refused (no server on this queue)");
  }
  std::string name = "LocalQueue('" + queue_id + "')";
  auto client = std::make_unique<LocalStream>(loop, name);
  auto server = std::make_unique<LocalStream>(loop, name);
  client->pair(server.get());
  server->pair(client.get());
  it->second->accept(std::move(server));
  co_return client;
}

std::unique_ptr<Listener> local_listen(Loop& loop, std::string queue_id, AcceptCallback on_accept) {
  return std::make_unique<LocalListener>(loop, std::move(queue_id), std::move(on_accept));
}

}  // namespace uvmas::detail
