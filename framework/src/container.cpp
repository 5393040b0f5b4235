#include "uvmas/framework/container.hpp"

#include "uvmas/clocks/external_clock.hpp"
#include "uvmas/clocks/wall_clock.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"
#include "uvmas/core/wait_list.hpp"

#include <uv.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>

namespace uvmas {

// -- agent URLs -----------------------------------------------------------------

namespace {

[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
  throw ValueError("invalid agent URL '" + std::string(url) + "': " + why +
                   " (expected tcp://host:port/id, ipc://[path]/id or local://queue/id)");
}

}  // namespace

AgentUrl AgentUrl::parse(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) bad_url(url, "no scheme");
  std::string_view scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);
  // The container part ends at the first '/' after the address; a socket
  // path may hold '/' itself, so there it ends after the closing "]".
  std::size_t end;
  if (scheme == "ipc") {
    if (rest.empty() || rest.front() != '[') bad_url(url, "the socket path must be in [..]");
    end = rest.find("]/");
    if (end == std::string_view::npos) bad_url(url, "no ']/' after the socket path");
    ++end;
  } else {
    end = rest.find('/');
    if (end == std::string_view::npos) bad_url(url, "no agent id after the address");
  }
  AgentUrl out;
  out.container = Address::parse(url.substr(0, sep + 3 + end));
  out.aid = std::string(rest.substr(end + 1));
  if (out.aid.empty()) bad_url(url, "the agent id is empty");
  return out;
}

bool AgentUrl::is_agent_url(std::string_view url) noexcept {
  try {
    (void)parse(url);
    return true;
  } catch (...) {
    return false;
  }
}

// -- Container --------------------------------------------------------------------

/// One cached outgoing connection (or one being opened: later connects wait for it).
struct detail::OutgoingConnection {
  rpc::Connection connection;
  bool ready = false;
  std::exception_ptr error;
  WaitList waiters;
  /// Agents already validated on this connection: aid -> class name (as aiomas caches proxies).
  std::map<std::string, std::string, std::less<>> validated;

  // Also learns of a peer that went away while the loop was not running.
  bool closed() { return ready && !connection.channel().alive(); }
  void wake(Loop& loop) { waiters.wake_all(loop); }
};

namespace {

std::string host_name() {
  char buf[256];
  std::size_t size = sizeof buf;
  if (uv_os_gethostname(buf, &size) != 0) return "localhost";
  return std::string(buf, size);
}

// The address as agents' URLs name it: aiomas replaces a wildcard host by the
// machine's name (socket.getfqdn()).
Address public_address(Address a) {
  if (a.kind == Address::Kind::tcp && (a.host.empty() || a.host == "0.0.0.0" || a.host == "::")) a.host = host_name();
  return a;
}

}  // namespace

std::unique_ptr<Container> Container::create(Loop& loop, std::string_view address, ContainerOptions options) {
  return std::make_unique<Container>(Key{}, nullptr, loop, address, std::move(options));
}

std::unique_ptr<Container> Container::create(Loop& loop, std::string_view address) {
  return create(loop, address, ContainerOptions{});
}

std::unique_ptr<Container> Container::create(std::string_view address, ContainerOptions options) {
  auto loop = std::make_unique<Loop>();
  Loop& l = *loop;
  return std::make_unique<Container>(Key{}, std::move(loop), l, address, std::move(options));
}

std::unique_ptr<Container> Container::create(std::string_view address) {
  return create(address, ContainerOptions{});
}

Container::Container(Key, std::unique_ptr<Loop> owned_loop, Loop& loop, std::string_view address,
                     ContainerOptions options)
    : owned_loop_(std::move(owned_loop)), loop_(&loop), tasks_(loop, "agent task") {
  const auto* own = std::get_if<OwnClock>(&options.clock);
  if (options.external_clock && !own)
    throw std::invalid_argument("ContainerOptions: external_clock = true asks for an own ExternalClock, but a clock was given");
  const bool own_external = own && (*own == OwnClock::external || options.external_clock);
  bool clock_settings = options.init_time != 0 || !(options.utc_start == ExternalClock::default_utc_start);
  if (clock_settings && !own_external)
    throw std::invalid_argument(
        "ContainerOptions: init_time and utc_start apply to the container's own ExternalClock "
        "(clock = OwnClock::external)");
  if (auto* given = std::get_if<ExternalClock*>(&options.clock)) {
    external_clock_ = *given;
    clock_ = *given;
  } else if (auto* given_clock = std::get_if<Clock*>(&options.clock)) {
    clock_ = *given_clock;
  } else if (own_external) {
    auto owned = std::make_unique<ExternalClock>(loop, options.init_time, options.utc_start);
    external_clock_ = owned.get();
    owned_clock_ = std::move(owned);
    clock_ = external_clock_;
  } else {
    owned_clock_ = std::make_unique<WallClock>(loop);
    clock_ = owned_clock_.get();
  }
  if (!clock_) throw std::invalid_argument("ContainerOptions: the given clock is null");
  channel_options_.codec = options.codec;
  // Extension typeids follow registration order on both peers: the date is 0, the user's types
  // 1..m, and rpc appends the proxy type (m+1).
  channel_options_.extra_serializers.emplace_back(datetime_type_name);
  for (auto& s : options.extra_serializers) channel_options_.extra_serializers.push_back(std::move(s));
  channel_options_.transport = std::move(options.transport);
  channel_options_.max_frame_size = options.max_frame_size;
  channel_options_.max_requests_in_progress = options.max_requests_in_progress;
  channel_options_.max_queued_bytes = options.max_queued_bytes;
  channel_options_.call_timeout = options.call_timeout;
  reconnect_ = options.reconnect;
  channel_options_.clock = clock_;
  const ObserveOptions& observe = options.observe;
  if (observe.metrics || !observe.trace_dir.empty() || !observe.record_file.empty()) {
    observer_ = external_clock_ ? std::make_unique<Observer>(loop, *external_clock_, observe)
                                : std::make_unique<Observer>(loop, *clock_, observe);
    channel_options_.observer = observer_.get();
  }

  root_.expose(
      "validate_aid",
      [this](Value aid) -> Value {
        Agent* a = aid.is_string() ? agent(aid.as_string()) : nullptr;
        return a ? Value(a->type_name()) : Value();
      },
      {"aid"});
  root_.add_sub("agents", agents_router_);
  agents_router_.set_resolver(agents_resolver_);

  // A peer that connected to us does not say where it listens: references
  // to its agents have no known address.
  server_ = rpc::start_server(loop, address, root_, channel_options_,
                              [this](rpc::Connection connection) { connection.set_container(this, ""); });
  address_ = public_address(server_->address());
  base_url_ = address_.url() + "/";
  if (observer_ && observer_->name().empty()) observer_->set_name(base_url_);
  loopback_ = rpc::loopback_connection(loop, root_, server_->address().origin(), channel_options_);
  loopback_.set_call_timeout(*clock_, channel_options_.call_timeout);
  loopback_.set_container(this, base_url_);
  loopback_open_ = true;
}

Container::~Container() { close_all(); }

void Container::accept(StreamPtr stream) {
  if (!server_) throw ConnectionError("the container is shut down");
  server_->accept(std::move(stream));
}

void Container::close_all() noexcept {
  shut_down_ = true;
  tasks_.cancel();
  server_.reset();
  for (auto& [key, out] : outgoing_)
    if (out->ready && !out->connection.channel().closed()) out->connection.channel().abort("container shut down");
  outgoing_.clear();
  if (loopback_open_) {
    loopback_.abort("container shut down");
    loopback_open_ = false;
  }
  owned_.clear();
}

std::size_t Container::incoming_connections() const noexcept { return server_ ? server_->connections() : 0; }

void Container::note_spawned(Agent& agent) const {
  agent.seal_methods();
  if (observer_) observer_->agent_spawned(agent.aid(), agent.type_name());
  if (!log_enabled(LogLevel::debug)) return;
  std::ostringstream line;
  line << "agent " << agent << " spawned";
  log(LogLevel::debug, line.str());
}

std::size_t Container::register_agent(Agent* agent) {
  agents_.push_back(agent);
  return agents_.size() - 1;
}

void Container::unregister_agent(std::size_t index) noexcept {
  if (index < agents_.size()) agents_[index] = nullptr;
}

Agent* Container::agent(std::string_view aid) const noexcept {
  // Ids are str(i): no sign, no leading zeros.
  if (aid.empty() || (aid.size() > 1 && aid.front() == '0')) return nullptr;
  std::size_t i = 0;
  auto [end, ec] = std::from_chars(aid.data(), aid.data() + aid.size(), i);
  if (ec != std::errc() || end != aid.data() + aid.size() || i >= agents_.size()) return nullptr;
  return agents_[i];
}

rpc::Outcome Container::AgentsResolver::resolve(const rpc::CallContext& ctx, rpc::PathWalk& walk,
                                               std::string_view segment, std::span<const Value> args,
                                               const Map& kwargs) {
  Agent* a = container->agent(segment);
  if (!a) {
    throw LookupError("Name \"" + std::string(segment) + "\" not found in \"" + walk.before() + "\"");
  }
  return a->invoke(ctx, walk, args, kwargs);
}

Task<AgentProxy> Container::connect(std::string_view url) { return connect_to(this, std::string(url), 0); }

Task<AgentProxy> Container::connect(std::string_view url, double timeout) {
  return connect_to(this, std::string(url), timeout);
}

class Container::Reconnecting final : public detail::ProxySource {
 public:
  Reconnecting(Container* c, Address key, std::string aid, std::string url, rpc::Proxy first)
      : container_(c->self_),
        policy_(c->reconnect_),
        key_(std::move(key)),
        aid_(std::move(aid)),
        url_(std::move(url)),
        current_(std::move(first)) {}

  Task<rpc::Proxy> proxy() override {
    if (current_.connected()) co_return current_;
    double delay = policy_.backoff;
    std::string last_error;
    for (int attempt = 0; attempt < policy_.tries; ++attempt) {
      Container* c = live();
      if (attempt > 0) {
        co_await c->clock().sleep(delay);
        delay = std::min(delay * 2, policy_.max_backoff);
        c = live();
      }
      bool connected = false;
      try {
        rpc::Connection con = co_await Container::connection_to(c, key_, 0);
        current_ = con.remote()["agents"][aid_];
        connected = true;
      } catch (const ConnectionError& e) {
        last_error = e.what();
      }
      if (connected) co_return current_;
    }
    throw ConnectionError("cannot reconnect to " + url_ + " after " + std::to_string(policy_.tries) +
                          (policy_.tries == 1 ? " try: " : " tries: ") + last_error);
  }
  // Its proxies get the class name when connect() made them.
  std::string class_name() const override { return {}; }

 private:
  Container* live() const {
    auto c = container_.lock();
    if (!c || (*c)->shut_down_) throw ConnectionError("cannot reconnect to " + url_ + ": the container is shut down");
    return *c;
  }

  std::weak_ptr<Container*> container_;
  ReconnectPolicy policy_;
  Address key_;
  std::string aid_;
  std::string url_;
  rpc::Proxy current_;
};

namespace {

// How long connect(url, timeout) waits between attempts, in clock seconds.
constexpr double connect_retry_interval = 0.1;

// Marks a connection attempt that ended without a connection (failed or the
// opening task was cancelled) so that tasks waiting for it go on.
struct OpeningGuard {
  std::shared_ptr<detail::OutgoingConnection> out;
  Loop& loop;
  ~OpeningGuard() {
    if (!out->ready && !out->error) out->error = std::make_exception_ptr(ConnectionError("connecting was cancelled"));
    out->wake(loop);
  }
};
}  // namespace

class Container::Connecting final : public detail::ProxySource {
 public:
  Connecting(Container* c, std::string url) : container_(c->self_), url_(std::move(url)) {}

  Task<rpc::Proxy> proxy() override {
    if (current_.connected()) co_return current_;
    auto c = container_.lock();
    if (!c || (*c)->shut_down_) throw ConnectionError("cannot connect to " + url_ + ": the container is shut down");
    AgentProxy p = co_await (*c)->connect(url_);
    class_name_ = p.class_name();
    current_ = p.proxy();
    co_return current_;
  }
  std::string class_name() const override { return class_name_; }

 private:
  std::weak_ptr<Container*> container_;
  std::string url_;
  std::string class_name_;
  rpc::Proxy current_;
};

AgentProxy Container::proxy_for(std::string_view url_view) {
  std::string url(url_view);
  AgentUrl u = AgentUrl::parse(url);
  if (u.container == address_) {
    // Called in-process; a missing agent fails on first use, as connect() would.
    if (Agent* a = agent(u.aid)) return AgentProxy(loopback_.remote()["agents"][u.aid], a->type_name(), url, this, a->index());
  } else if (reconnect_.tries == 0) {
    auto it = outgoing_.find(u.container);
    if (it != outgoing_.end() && it->second->ready && !it->second->closed()) {
      auto known = it->second->validated.find(u.aid);
      if (known != it->second->validated.end())
        return AgentProxy(it->second->connection.remote()["agents"][u.aid], known->second, url);
    }
  }
  return AgentProxy(rpc::Proxy(), "", url, std::make_shared<Connecting>(this, url));
}

AgentProxy Container::received_agent(rpc::Proxy proxy, std::string_view aid) {
  std::string peer(proxy.peer_url());
  std::string url = peer.empty() ? std::string() : peer + std::string(aid);
  if (proxy.in_process()) {
    if (Agent* a = agent(aid)) return AgentProxy(std::move(proxy), a->type_name(), std::move(url), this, a->index());
    return AgentProxy(std::move(proxy), "", std::move(url));
  }
  std::string name = validated_name(peer, aid);
  return AgentProxy(std::move(proxy), std::move(name), std::move(url));
}

detail::OutgoingConnection* Container::outgoing_to(std::string_view peer_url) const {
  if (peer_url.size() < 2) return nullptr;
  Address key;
  try {
    key = Address::parse(peer_url.substr(0, peer_url.size() - 1));
  } catch (const std::exception&) {
    return nullptr;
  }
  auto it = outgoing_.find(key);
  return it == outgoing_.end() ? nullptr : it->second.get();
}

std::string Container::validated_name(std::string_view peer_url, std::string_view aid) const {
  detail::OutgoingConnection* out = outgoing_to(peer_url);
  if (!out) return {};
  auto known = out->validated.find(aid);
  return known == out->validated.end() ? std::string() : known->second;
}

void Container::note_validated(std::string_view peer_url, const std::string& aid, const std::string& class_name) {
  if (detail::OutgoingConnection* out = outgoing_to(peer_url)) out->validated.emplace(aid, class_name);
}

Task<rpc::Connection> Container::connection_to(Container* self, Address key, double timeout) {
  for (;;) {
    if (self->shut_down_) throw ConnectionError("container " + self->base_url_ + " is shut down");
    auto it = self->outgoing_.find(key);
    if (it == self->outgoing_.end()) break;
    std::shared_ptr<detail::OutgoingConnection> out = it->second;
    // A dead connection (or a failed attempt) is evicted; aiomas keeps it and fails every call.
    if (out->error || out->closed()) {
      self->outgoing_.erase(it);
      break;
    }
    if (out->ready) co_return out->connection;
    co_await out->waiters.wait();
    if (out->error) std::rethrow_exception(out->error);
  }
  auto out = std::make_shared<detail::OutgoingConnection>();
  self->outgoing_[key] = out;
  OpeningGuard guard{out, *self->loop_};
  std::exception_ptr error;
  try {
    out->connection = co_await open_retrying(self, key, timeout);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    out->error = error;
    std::rethrow_exception(error);
  }
  out->connection.set_container(self, key.url() + "/");
  out->ready = true;
  co_return out->connection;
}

// While the peer refuses, tries again on the container's clock until `timeout`
// clock seconds have passed.
Task<rpc::Connection> Container::open_retrying(Container* self, Address key, double timeout) {
  Clock& clock = *self->clock_;
  const double start = clock.time();
  rpc::ConnectionOptions options(self->channel_options_);
  options.root = &self->root_;  // the peer's agents call back over the same connection
  for (;;) {
    std::string why;
    try {
      co_return co_await rpc::open_connection(*self->loop_, key.url(), options);
    } catch (const ConnectionError& e) {
      why = e.what();
    }
    if (!(timeout > 0)) throw ConnectionError(why);
    const double left = timeout - (clock.time() - start);
    if (!(left > 0)) throw ConnectionError(why + " (retried for " + detail::format_number(timeout) + " s)");
    co_await clock.sleep(std::min(connect_retry_interval, left));
    if (self->shut_down_) throw ConnectionError("container " + self->base_url_ + " is shut down");
  }
}

Task<AgentProxy> Container::connect_to(Container* self, std::string url, double timeout) {
  AgentUrl u = AgentUrl::parse(url);
  if (self->shut_down_) throw ConnectionError("container " + self->base_url_ + " is shut down");
  std::string missing = "Agent \"" + u.aid + "\" does not exist in Container(" + u.container.url() + ")";
  if (u.container == self->address_) {
    // One of our own agents: called in-process, no socket.
    Agent* a = self->agent(u.aid);
    if (!a) throw ConnectionError(missing);
    co_return AgentProxy(self->loopback_.remote()["agents"][u.aid], a->type_name(), url, self, a->index());
  }
  rpc::Connection con = co_await connection_to(self, u.container, timeout);
  auto it = self->outgoing_.find(u.container);
  std::shared_ptr<detail::OutgoingConnection> out = it != self->outgoing_.end() ? it->second : nullptr;
  std::string class_name;
  auto cached = out ? out->validated.find(u.aid) : decltype(out->validated)::iterator{};
  if (out && cached != out->validated.end()) {
    class_name = cached->second;
  } else {
    Value name = co_await con.remote().call("validate_aid", u.aid);
    if (name.is_null()) throw ConnectionError(missing);
    class_name = name.is_string() ? name.as_string() : "Agent";
    if (out) out->validated.emplace(u.aid, class_name);
  }
  rpc::Proxy proxy = con.remote()["agents"][u.aid];
  if (self->reconnect_.tries > 0) {
    auto source = std::make_shared<Reconnecting>(self, u.container, u.aid, url, proxy);
    co_return AgentProxy(std::move(proxy), std::move(class_name), std::move(url), std::move(source));
  }
  co_return AgentProxy(std::move(proxy), std::move(class_name), std::move(url));
}

Task<> Container::shutdown() {
  if (shut_down_) co_return;
  shut_down_ = true;
  // Nothing below destroys a connection or task synchronously, so shutdown()
  // may be called from an agent's own request handler or task.
  // Every connection, incoming and outgoing, stops now and closes once what it
  // queued has left (bounded by the channel's linger when the peer stops
  // reading), so a call or reply sent just before shutdown reaches its peer.
  std::vector<Channel> outgoing;
  for (auto& [key, out] : outgoing_)
    if (out->ready && !out->connection.channel().closed()) outgoing.push_back(out->connection.channel());
  TaskGroup closing(*loop_, "closing a connection");
  if (server_) closing.spawn(server_->shutdown());
  for (auto& channel : outgoing) closing.spawn(channel.close("container shut down"));
  if (loopback_open_) {
    loopback_open_ = false;
    closing.spawn(loopback_.close());
  }
  co_await closing.join();
  if (owned_clock_) owned_clock_->cancel_all();
  co_await tasks_.cancel_and_wait();
}

}  // namespace uvmas
