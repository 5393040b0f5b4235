// Exposing agent methods (docs/agents.md): what a class exposes is declared
// once, with parameter names for keyword arguments, names that exist but are
// not exposed, a nested service and a dict router held as members, and the
// errors aiomas gives for each.
//
// Usage: agents_expose

#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

namespace {

// [snippet:shop]
class Till {
 public:
  static void expose_methods(uvmas::rpc::Methods<Till>& m) { m.expose("total", &Till::total); }
  uvmas::rpc::Router router{this};

  double total() const { return total_; }
  void add(double amount) { total_ += amount; }

 private:
  double total_ = 0;
};

class Shop : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Shop>& m) {
    m.qualname("shop.Shop");  // the Python qualname errors show (default "__main__.Shop")
    m.expose("buy", &Shop::buy, {"item", "count"});
    m.hide("restock");             // exists, but peers may not call it
    m.expose("till", &Shop::till);  // a nested service: "till/total"
    m.expose("info", &Shop::info);  // a dict router: "info/<name>/..."
  }

  explicit Shop(uvmas::Container& c) : Agent(c) {
    info.expose("opening_hours", [] { return std::string("9-17"); });
  }

  double buy(std::string item, int count) {
    double price = (item == "apple" ? 0.5 : 2.0) * count;
    till.add(price);
    return price;
  }
  void restock() {}

  Till till;
  uvmas::rpc::Router info;
};
// [end:shop]

uvmas::Task<> customer(uvmas::Container& c, std::string shop_addr) {
  uvmas::AgentProxy shop = co_await c.connect(shop_addr);
  // [snippet:calls]
  std::cout << "buy(apple, 4) = " << co_await shop.call<double>("buy", "apple", 4) << "\n";
  uvmas::Array args{"pear"};
  uvmas::Map kwargs{{"count", 2}};
  std::cout << "buy(pear, count=2) = " << co_await shop.call_kw<double>("buy", std::move(args), std::move(kwargs))
            << "\n";
  std::cout << "till/total() = " << co_await shop.call<double>("till/total") << "\n";
  std::cout << "info/opening_hours() = " << co_await shop.call<std::string>("info/opening_hours") << "\n";
  // [end:calls]
  // [snippet:errors]
  for (const char* name : {"restock", "steal", "till"}) {
    try {
      co_await shop.call(name);
    } catch (const uvmas::RemoteException& e) {
      std::cout << e.remote_type() << ": " << e.remote_message() << "\n";
    }
  }
  try {
    co_await shop.call("buy", "apple", "many");
  } catch (const uvmas::RemoteException& e) {
    std::cout << e.remote_type() << ": " << e.remote_message() << "\n";
  }
  // [end:errors]
}

}  // namespace

int main() {
  // [snippet:refused]
  // Parameter names must name every parameter: refused when exposing, not at the first call.
  try {
    uvmas::rpc::Methods<Shop> m;
    m.expose("buy", &Shop::buy, {"item"});
  } catch (const std::invalid_argument& e) {
    std::cout << "refused: " << e.what() << "\n";
  }
  // [end:refused]
  uvmas::Loop loop;
  auto market = uvmas::Container::create(loop, "local://market");
  auto town = uvmas::Container::create(loop, "local://town");
  Shop& shop = market->spawn<Shop>();
  loop.run(customer(*town, shop.addr()));
  loop.run(town->shutdown());
  loop.run(market->shutdown());
  return 0;
}
