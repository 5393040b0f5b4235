#pragma once
/// Agent containers (aiomas.agent.Container): an RPC server whose root exposes
/// `validate_aid(aid)` and the agents under `agents/<id>/...`, the outgoing
/// connections its agents open with `connect(url)`, a clock, and the tasks of
/// its agents, all closed by `shutdown()`.
///
/// \code
/// auto c = uvmas::Container::create("tcp://localhost:5555");  // owns its loop
/// auto& a = c->spawn<TestAgent>();                              // id "0"
/// c->run(a.run("tcp://localhost:5556/0"));
/// c->run(c->shutdown());
/// \endcode
/// Several containers can share one loop: `Container::create(loop, addr, options)`.

#include <uvmas/clocks/clock.hpp>
#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/framework/agent.hpp>
#include <uvmas/framework/channel.hpp>
#include <uvmas/framework/observe.hpp>
#include <uvmas/framework/rpc.hpp>
#include <uvmas/transports/address.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace uvmas {

/// Opt-in re-connection of the agent proxies connect() returns. A call that
/// finds its connection lost (and not yet sent) connects again first: up to
/// `tries` attempts, waiting `backoff` seconds of the container's clock after
/// a failed one, doubling up to `max_backoff`. A call in flight when the
/// connection dropped is never repeated: it fails with ConnectionError.
struct ReconnectPolicy {
  /// Connection attempts per call (0: no re-connection, aiomas's behaviour).
  int tries = 0;
  double backoff = 0.5;
  double max_backoff = 10;
};

/// A clock a container creates for itself.
enum class OwnClock {
  wall,      ///< a WallClock (the default)
  external,  ///< an ExternalClock: time moves only by `set_time` / `step_to` (e.g. by mosaik)
};

/// Settings of a container; they apply to its server and to every outgoing connection.
struct ContainerOptions {
  /// The codec, a built-in Format or a CustomCodec (both sides must agree).
  CodecChoice codec = Format::json;
  /// Extension type names after the date (aiomas's extra_serializers): typeid 0
  /// is always the date ("datetime"), these get 1..m, agent references m+1.
  std::vector<std::string> extra_serializers;
  /// Registers the custom type T (see <uvmas/codecs/serializable.hpp>) as the
  /// next extra serializer: its name is written once, in its ValueTraits.
  template <SerializableType T>
  ContainerOptions& add_serializer() {
    extra_serializers.push_back(serializer_name<T>());
    return *this;
  }
  /// The container's clock: one it creates and owns (OwnClock::wall, the
  /// default, or OwnClock::external), or the caller's (`options.clock =
  /// &clock`; not owned, must outlive the container). With an ExternalClock,
  /// owned or given, external_clock() returns it.
  std::variant<OwnClock, Clock*, ExternalClock*> clock = OwnClock::wall;
  /// Another spelling of `clock = OwnClock::external`, accepted so that
  /// programs written with it keep building; with a clock of the caller's
  /// it is an error.
  bool external_clock = false;
  /// The own ExternalClock's time at creation (aiomas `ExternalClock(utc_start, init_time)`;
  /// may be negative). Only with OwnClock::external, else create() throws std::invalid_argument.
  double init_time = 0;
  /// The date of the own ExternalClock's time 0 (`parse_iso("2016-01-01T00:00:00+01:00")`;
  /// only the instant counts). Only with OwnClock::external, as `init_time`.
  DateTime utc_start = ExternalClock::default_utc_start;
  /// TLS (`transport.tls` serves both the server and outgoing connections unless
  /// `transport.client_tls` is set for the latter) and other transport settings.
  TransportOptions transport;
  /// The receive limit for one frame.
  std::size_t max_frame_size = default_max_frame_size;
  /// The default deadline of every call the agents make (remote and in-process),
  /// in seconds of the container's clock; 0: none. A call can carry its own
  /// (AgentProxy::with_timeout). On expiry the call fails with TimeoutError.
  double call_timeout = 0;
  /// Re-connection of agent proxies (off by default).
  ReconnectPolicy reconnect;
  /// Per connection: incoming requests in progress at once (see ChannelOptions).
  std::size_t max_requests_in_progress = default_max_requests_in_progress;
  /// Per connection: bytes queued for sending before it takes no further request (see ChannelOptions).
  std::size_t max_queued_bytes = default_max_queued_bytes;
  /// Metrics, a trace and a recording of the container's connections, agents
  /// and clock steps (all off by default; see <uvmas/framework/observe.hpp>).
  /// Traces and metrics name the container by its base URL unless `observe.name` is set.
  ObserveOptions observe;
};

/// An agent URL taken apart: `tcp://host:port/id`, `ipc://[path]/id`, `local://queue/id`.
struct AgentUrl {
  /// The container's transport address (parsed by Address::parse); also the
  /// key of the outgoing-connection cache.
  Address container;
  /// The agent id (never empty; may contain `/`, which then fails validate_aid).
  std::string aid;

  /// Parses an agent URL. Throws ValueError naming the problem (unknown
  /// scheme, missing port, missing `[..]` around a socket path, empty id).
  static AgentUrl parse(std::string_view url);
  /// True if `url` parses as an agent URL (has a non-empty id after the address).
  static bool is_agent_url(std::string_view url) noexcept;
};

namespace detail {
struct OutgoingConnection;
}  // namespace detail

/// An agent container. Create with `create`; not copyable or movable.
class Container {
 public:
  /// A container on `loop` listening on `address` ("tcp://host:port" (port 0:
  /// any), "ipc://[path]", "local://queue"). Throws ConnectionError (address in
  /// use, ...) or std::invalid_argument (bad address) at once.
  static std::unique_ptr<Container> create(Loop& loop, std::string_view address, ContainerOptions options);
  static std::unique_ptr<Container> create(Loop& loop, std::string_view address);
  /// Same, with a loop of its own (run work on it with `run()`), as aiomas's
  /// `Container.create(addr)`.
  static std::unique_ptr<Container> create(std::string_view address, ContainerOptions options);
  static std::unique_ptr<Container> create(std::string_view address);

  /// Closes everything at once (prefer `co_await shutdown()` first).
  ~Container();
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  /// Creates an agent `T(*this, args...)` owned by the container; it gets the
  /// next id. A T with `expose_methods` serves its class's method table.
  template <class T, class... Args>
  T& spawn(Args&&... args) {
    auto agent = std::make_unique<T>(*this, std::forward<Args>(args)...);
    T& ref = *agent;
    if constexpr (rpc::ExposesMethods<T>) static_cast<Agent&>(ref).methods_ = &rpc::methods_of<T>();
    owned_.push_back(std::move(agent));
    note_spawned(ref);
    return ref;
  }

  /// Connects to the agent at `url`: reuses the cached connection to its
  /// container (or opens one, serving our agents on it so the peer can call
  /// back), checks the agent exists (validate_aid) and returns its proxy.
  /// Agents of this container are called in-process (no socket). Throws
  /// ValueError (bad URL), ConnectionError (cannot connect, or
  /// `Agent "<aid>" does not exist in Container(<addr>)`).
  Task<AgentProxy> connect(std::string_view url);
  /// Same, retrying while the remote container refuses (aiomas's
  /// `connect(url, timeout=…)`): another attempt every 0.1 s of the container's
  /// clock until one is accepted or `timeout` seconds of that clock have
  /// passed (0: one attempt; infinity: until accepted). The ConnectionError
  /// then ends in `(retried for <timeout> s)`.
  Task<AgentProxy> connect(std::string_view url, double timeout);
  /// A proxy of the agent at `url` without waiting (what an AgentProxy
  /// parameter makes of a received address): ready at once for an agent of
  /// this container or one already validated on a cached connection, else it
  /// connects as connect(url) does on its first call (or validate()), and
  /// again after its connection was lost. ValueError for a bad URL.
  AgentProxy proxy_for(std::string_view url);

  /// Stops listening, closes every connection (pending calls fail with
  /// ConnectionError) once what it already queued has left, cancels every task
  /// of `tasks()` and, for a clock the container owns, every timer. Idempotent.
  Task<> shutdown();

  /// The container's base URL, ending in "/": `tcp://host:port/` (host as given;
  /// a wildcard host becomes this machine's name), `ipc://[path]/`, `local://queue/`.
  const std::string& base_url() const noexcept { return base_url_; }
  /// The agent with id `aid`, or nullptr.
  Agent* agent(std::string_view aid) const noexcept;
  /// The agent with index `index`, or nullptr.
  Agent* agent_at(std::size_t index) const noexcept { return index < agents_.size() ? agents_[index] : nullptr; }
  /// Number of agents registered so far (the next id).
  std::size_t size() const noexcept { return agents_.size(); }

  Loop& loop() const noexcept { return *loop_; }
  Clock& clock() const noexcept { return *clock_; }
  /// The clock as an ExternalClock, or nullptr if it is not one.
  ExternalClock* external_clock() const noexcept { return external_clock_; }
  /// The agents' background tasks: `tasks().spawn(agent.run())`; cancelled by shutdown().
  TaskGroup& tasks() noexcept { return tasks_; }
  /// The RPC root (validate_aid, agents/...).
  rpc::Router& router() noexcept { return root_; }
  /// Serves `stream` as an incoming connection, as if the container's
  /// listener had accepted it (an in-memory or replayed connection).
  void accept(StreamPtr stream);
  /// What observes the container (metrics, trace, recording), or nullptr when
  /// ContainerOptions::observe asked for nothing.
  Observer* observer() const noexcept { return observer_.get(); }
  /// The channel options of the server and of outgoing connections (without the proxy type).
  const ChannelOptions& channel_options() const noexcept { return channel_options_; }
  /// Number of open connections: accepted ones and outgoing ones.
  std::size_t incoming_connections() const noexcept;
  std::size_t outgoing_connections() const noexcept { return outgoing_.size(); }

  /// Runs the container's loop until `task` completes (Loop::run).
  template <class T>
  T run(Task<T> task) {
    return loop_->run(std::move(task));
  }

  /// Use create(); the key keeps construction inside this class.
  class Key {
    friend class Container;
    Key() = default;
  };
  Container(Key, std::unique_ptr<Loop> owned_loop, Loop& loop, std::string_view address, ContainerOptions options);

 private:
  friend class Agent;
  friend class AgentProxy;
  class Reconnecting;  // the ProxySource of re-connecting agent proxies
  class Connecting;    // the ProxySource of proxies made from a received address

  /// The agent proxy of a reference to agent `aid` received over `proxy`'s connection.
  AgentProxy received_agent(rpc::Proxy proxy, std::string_view aid);
  /// The class name validate_aid gave for `aid` on the cached connection to `peer_url`, or "".
  std::string validated_name(std::string_view peer_url, std::string_view aid) const;
  /// Records what validate_aid gave for `aid` on the cached connection to `peer_url` (if any).
  void note_validated(std::string_view peer_url, const std::string& aid, const std::string& class_name);
  /// The cached connection to the container at `peer_url` ("<container url>/"), or nullptr.
  detail::OutgoingConnection* outgoing_to(std::string_view peer_url) const;

  std::size_t register_agent(Agent* agent);
  /// The debug log line for a freshly spawned agent (once it is fully constructed, so its class name is known).
  void note_spawned(Agent& agent) const;
  void unregister_agent(std::size_t index) noexcept;
  // Serves `agents/<id>/...` without a router entry per agent.
  struct AgentsResolver final : rpc::Resolver {
    explicit AgentsResolver(Container* c) : container(c) {}
    rpc::Outcome resolve(const rpc::CallContext& ctx, rpc::PathWalk& walk, std::string_view segment,
                         std::span<const Value> args, const Map& kwargs) override;
    Container* container;
  };
  static Task<AgentProxy> connect_to(Container* self, std::string url, double timeout);
  static Task<rpc::Connection> connection_to(Container* self, Address key, double timeout);
  static Task<rpc::Connection> open_retrying(Container* self, Address key, double timeout);
  void close_all() noexcept;

  std::unique_ptr<Loop> owned_loop_;  // first: destroyed last
  Loop* loop_;
  std::unique_ptr<Clock> owned_clock_;
  Clock* clock_;
  ExternalClock* external_clock_ = nullptr;
  std::unique_ptr<Observer> observer_;  // before everything it observes: destroyed after it
  ChannelOptions channel_options_;
  rpc::Router root_{"aiomas.agent.Container"};
  rpc::Router agents_router_{"aiomas.rpc.ServiceDict"};
  AgentsResolver agents_resolver_{this};
  std::vector<Agent*> agents_;
  std::vector<std::unique_ptr<Agent>> owned_;
  std::unique_ptr<Server> server_;
  Address address_;  // as agents' URLs name this container (a wildcard host replaced by the host name)
  std::string base_url_;
  rpc::Connection loopback_;
  bool loopback_open_ = false;
  std::map<Address, std::shared_ptr<detail::OutgoingConnection>> outgoing_;
  TaskGroup tasks_;
  bool shut_down_ = false;
  ReconnectPolicy reconnect_;
  // Re-connecting proxies may outlive the container: they hold this weakly.
  std::shared_ptr<Container*> self_ = std::make_shared<Container*>(this);
};

}  // namespace uvmas
