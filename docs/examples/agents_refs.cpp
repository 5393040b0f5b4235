// Agent references (docs/agents.md): an agent returned by a call arrives as
// an AgentProxy bound to the connection it came over and prints as aiomas
// prints proxies; passing a proxy on sends the agent's address, which the
// receiver's AgentProxy parameter connects to; a reference that came over a
// connection the peer opened shows its path, since the peer's address is
// not on the wire. Three containers on in-process LocalQueue addresses.

#include <uvmas/framework/container.hpp>

#include <iostream>
#include <string>

namespace {

// [snippet:agents]
class Seller : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Seller>& m) { m.expose("price", &Seller::price); }
  explicit Seller(uvmas::Container& c) : Agent(c) {}
  double price(std::string item) { return item == "apple" ? 0.5 : 2.0; }
};

class Market : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Market>& m) { m.expose("seller", &Market::seller); }
  Market(uvmas::Container& c, Seller& s) : Agent(c), seller_(&s) {}
  // Returning an agent sends a reference to it.
  Seller& seller() { return *seller_; }

 private:
  Seller* seller_;
};

class Courier : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Courier>& m) {
    m.expose("quote", &Courier::quote);
    m.expose("hello", &Courier::hello);
  }
  explicit Courier(uvmas::Container& c) : Agent(c) {}
  // An AgentProxy parameter takes an agent reference or an agent address.
  uvmas::Task<double> quote(uvmas::AgentProxy seller, std::string item) {
    std::cout << "courier got " << seller << "\n";
    co_return co_await seller.call<double>("price", item) + 1.0;
  }
  uvmas::Task<> hello(uvmas::AgentProxy caller) {
    std::cout << "hello from " << caller << "\n";
    co_await caller.validate();
    std::cout << "hello from " << caller << "\n";
  }
};
// [end:agents]

class Buyer : public uvmas::Agent {
 public:
  explicit Buyer(uvmas::Container& c) : Agent(c) {}

  // [snippet:buyer]
  uvmas::Task<> shop(std::string market_url, std::string courier_url) {
    uvmas::AgentProxy market = co_await container().connect(market_url);
    // A returned agent is a proxy over the connection it came over ...
    auto seller = co_await market.call<uvmas::AgentProxy>("seller");
    std::cout << "received " << seller << "\n";
    co_await seller.validate();  // asks its container for the class: one round trip
    std::cout << "validated " << seller << "\n";
    std::cout << "apple costs " << co_await seller.call<double>("price", "apple") << "\n";
    // ... passing it on sends its address, and the courier connects to it.
    uvmas::AgentProxy courier = co_await container().connect(courier_url);
    // (The courier prints while the call runs: the result is taken before printing.)
    const double delivered = co_await courier.call<double>("quote", seller, "apple");
    std::cout << "delivered: " << delivered << "\n";
    // We opened the connection to the courier: it cannot know our address.
    co_await courier.call("hello", *this);
  }
  // [end:buyer]
};

}  // namespace

int main() {
  uvmas::Loop loop;
  auto market = uvmas::Container::create(loop, "local://market");
  auto depot = uvmas::Container::create(loop, "local://depot");
  auto town = uvmas::Container::create(loop, "local://town");
  Seller& seller = market->spawn<Seller>();
  Market& stalls = market->spawn<Market>(seller);
  Courier& courier = depot->spawn<Courier>();
  Buyer& buyer = town->spawn<Buyer>();
  loop.run(buyer.shop(stalls.addr(), courier.addr()));
  for (auto* c : {town.get(), depot.get(), market.get()}) loop.run(c->shutdown());
  return 0;
}
