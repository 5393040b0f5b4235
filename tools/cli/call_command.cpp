// `uvmas call ADDR PATH [ARG...] [--kw NAME=VALUE]...`: one RPC call; the
// result is printed as JSON. Exit 1 on a remote exception, 2 on connection trouble.

#include "commands.hpp"
#include "tls_flags.hpp"

#include <uvmas/framework/container.hpp>
#include <uvmas/framework/rpc.hpp>

#include <iostream>

namespace uvmas::cli {

namespace {

/// JSON when the text is valid JSON, else the text as a string (so `add foo bar` works).
Value parse_arg(const std::string& text) {
  try {
    return Codec(Format::json).decode(text);
  } catch (const std::exception&) {
    return Value(text);
  }
}

struct CallSpec {
  std::string address;
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> kwargs;
  std::string codec = "json";
  TlsFlags tls;
};

Task<int> do_call(Loop& loop, CallSpec spec) {
  ChannelOptions options;
  options.codec = format_from_string(spec.codec);
  // An agent URL (tcp://host:port/0): talk to its container, which numbers
  // types as containers do (date 0, proxies 1), and call below agents/<id>.
  std::string aid;
  if (AgentUrl::is_agent_url(spec.address)) {
    AgentUrl url = AgentUrl::parse(spec.address);
    spec.address = url.container;
    aid = url.aid;
    options.extra_serializers.emplace_back(datetime_type_name);
  }
  rpc::Connection con;
  std::string connect_error;
  try {
    spec.tls.apply(options);
    con = co_await rpc::open_connection(loop, spec.address, options);
  } catch (const std::exception& e) {
    connect_error = e.what();
  }
  if (!connect_error.empty()) {
    std::cerr << "uvmas call: cannot connect to " << spec.address << ": " << connect_error << std::endl;
    co_return 2;
  }
  Array args;
  for (const auto& a : spec.args) args.push_back(parse_arg(a));
  Map kwargs;
  for (const auto& kv : spec.kwargs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::cerr << "uvmas call: --kw expects NAME=VALUE, got '" << kv << "'" << std::endl;
      co_return 2;
    }
    kwargs.emplace_back(kv.substr(0, eq), parse_arg(kv.substr(eq + 1)));
  }
  int code = 0;
  try {
    if (!aid.empty()) {
      Value known = co_await con.remote().call("validate_aid", aid);
      if (known.is_null())
        throw ConnectionError("Agent \"" + aid + "\" does not exist in Container(" + spec.address + ")");
      spec.path = "agents/" + aid + "/" + spec.path;
    }
    Value result = co_await con.remote().call_kw(spec.path, std::move(args), std::move(kwargs));
    // The RPC codec knows the proxy type, so returned services print as their wire form.
    ChannelOptions printing;
    printing.extra_serializers = options.extra_serializers;
    std::cout << make_codec(rpc::rpc_options(printing)).encode(result) << std::endl;
  } catch (const RemoteException& e) {
    std::cerr << e.remote_traceback();
    if (!e.remote_traceback().empty() && e.remote_traceback().back() != '\n') std::cerr << "\n";
    code = 1;
  } catch (const ConnectionError& e) {
    std::cerr << "uvmas call: " << e.what() << std::endl;
    code = 2;
  }
  if (!con.channel().closed()) co_await con.close();
  co_return code;
}

}  // namespace

void add_call_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("call", "Call an aiomas RPC service once and print the result as JSON");
  auto spec = std::make_shared<CallSpec>();
  cmd->add_option("ADDR", spec->address, "Address of the service, e.g. tcp://127.0.0.1:5555, or of an agent, e.g. tcp://127.0.0.1:5555/0")->required();
  cmd->add_option("PATH", spec->path, "The function's path, e.g. add or sub/mul")->required();
  cmd->add_option("ARG", spec->args, "Positional arguments (JSON, else text)");
  cmd->add_option("--kw", spec->kwargs, "Keyword argument NAME=VALUE (VALUE: JSON, else text)");
  cmd->add_option("--codec", spec->codec, "json, msgpack or msgpack_blosc")
      ->check(CLI::IsMember({"json", "msgpack", "msgpack_blosc"}));
  spec->tls.add_to(cmd);
  cmd->callback([&action, spec] {
    action = [spec] {
      Loop loop;
      return loop.run(do_call(loop, *spec));
    };
  });
}

}  // namespace uvmas::cli
