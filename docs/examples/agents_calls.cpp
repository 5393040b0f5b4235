// Agents calling agents (docs/agents.md): two containers, an agent that
// hands a reference to itself so the callee can call it back, background
// tasks on the container, and shutdown. The same code runs over TCP and
// over in-process LocalQueue addresses.
//
// Usage: agents_calls [tcp|local]   (default tcp)

#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <iostream>
#include <string>

namespace {

// [snippet:agents]
class Buyer : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Buyer>& m) { m.expose("offer", &Buyer::offer); }
  explicit Buyer(uvmas::Container& c) : Agent(c) {}

  // Called back by the seller; accepts anything up to 10.
  bool offer(std::string item, double price) {
    std::cout << *this << " offered " << item << " for " << price << "\n";
    return price <= 10.0;
  }

  uvmas::Task<> buy(std::string seller_addr, std::string item) {
    uvmas::AgentProxy seller = co_await container().connect(seller_addr);
    // Passing *this sends a reference; the seller receives a proxy to us.
    bool sold = co_await seller.call<bool>("sell", *this, item);
    std::cout << *this << (sold ? " bought " : " did not buy ") << item << " from " << seller << "\n";
  }
};

class Seller : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Seller>& m) { m.expose("sell", &Seller::sell); }
  explicit Seller(uvmas::Container& c) : Agent(c) {}

  uvmas::Task<bool> sell(uvmas::rpc::Proxy buyer, std::string item) {
    co_return co_await buyer.call<bool>("offer", item, item == "apple" ? 0.5 : 12.0);
  }
};
// [end:agents]

uvmas::Task<> errors(uvmas::Container& c, std::string base) {
  // [snippet:errors]
  try {
    co_await c.connect(base + "42");
  } catch (const uvmas::ConnectionError& e) {
    std::cout << "connect: " << e.what() << "\n";
  }
  uvmas::AgentProxy seller = co_await c.connect(base + "0");
  try {
    co_await seller.call("steal", "apple");
  } catch (const uvmas::RemoteException& e) {
    std::cout << "call: " << e.remote_type() << ": " << e.remote_message() << "\n";
  }
  // [end:errors]
}

}  // namespace

int main(int argc, char** argv) {
  const std::string transport = argc > 1 ? argv[1] : "tcp";
  const bool local = transport == "local";
  // [snippet:containers]
  uvmas::Loop loop;
  auto market = uvmas::Container::create(loop, local ? "local://market" : "tcp://127.0.0.1:0");
  auto town = uvmas::Container::create(loop, local ? "local://town" : "tcp://127.0.0.1:0");
  Seller& seller = market->spawn<Seller>();
  Buyer& buyer = town->spawn<Buyer>();
  // [end:containers]

  // [snippet:run]
  // Background work belongs to the container: shutdown() cancels what is left.
  town->tasks().spawn(buyer.buy(seller.addr(), "apple"));
  town->tasks().spawn(buyer.buy(seller.addr(), "pear"));
  loop.run(town->tasks().join());
  loop.run(errors(*town, market->base_url()));

  loop.run(town->shutdown());  // closes its connections, cancels its tasks
  loop.run(market->shutdown());
  // [end:run]
  return 0;
}
