// `uvmas call ADDR PATH [ARG...] [--kw NAME=VALUE]... [--raw] [--timeout S]`:
// one RPC call; the result is printed as JSON. Exit statuses as `uvmas --help`
// lists them: 1 remote exception, 2 connection trouble or timeout, 64 usage.

#include "commands.hpp"
#include "tls_flags.hpp"

#include <uvmas/clocks/timeout.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/framework/rpc.hpp>

#include <cctype>
#include <iostream>

namespace uvmas::cli {

namespace {

/// A command-line mistake: reported as is, exit status 64.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// True for text that starts like a JSON number, string, list, dict or
/// literal: such an argument must parse, or it is a typo rather than text.
bool looks_like_json(const std::string& text) {
  const auto b = text.find_first_not_of(" \t\n");
  if (b == std::string::npos) return false;
  const char c = text[b];
  if (c == '{' || c == '[' || c == '"' || std::isdigit(static_cast<unsigned char>(c))) return true;
  if (c == '-' && b + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[b + 1]))) return true;
  return text == "true" || text == "false" || text == "null";
}

/// JSON when the text looks like JSON (it must then parse), else the text
/// as a string (so `add foo bar` works); with `raw`, always the text.
Value parse_arg(const std::string& text, bool raw) {
  if (raw || !looks_like_json(text)) return Value(text);
  try {
    return Codec(Format::json).decode(text);
  } catch (const std::exception& e) {
    throw UsageError("argument '" + text + "' looks like JSON but does not parse (" + e.what() +
                     "); use --raw to send it as text");
  }
}

struct CallSpec {
  std::string address;
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> kwargs;
  std::string codec = "json";
  bool raw = false;
  double timeout = 0;  // seconds; 0: no limit
  TlsFlags tls;
};

/// The call's arguments from the command line; UsageError for a bad one.
std::pair<Array, Map> call_arguments(const CallSpec& spec) {
  Array args;
  for (const auto& a : spec.args) args.push_back(parse_arg(a, spec.raw));
  Map kwargs;
  for (const auto& kv : spec.kwargs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--kw expects NAME=VALUE, got '" + kv + "'");
    kwargs.emplace_back(kv.substr(0, eq), parse_arg(kv.substr(eq + 1), spec.raw));
  }
  return {std::move(args), std::move(kwargs)};
}

Task<int> do_call(Loop& loop, CallSpec spec, Array args, Map kwargs) {
  ChannelOptions options;
  options.codec = format_from_string(spec.codec);
  // An agent URL (tcp://host:port/0): talk to its container, which numbers
  // types as containers do (date 0, proxies 1), and call below agents/<id>.
  std::string aid;
  if (AgentUrl::is_agent_url(spec.address)) {
    AgentUrl url = AgentUrl::parse(spec.address);
    spec.address = url.container.url();
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
    // The transport's message already names the address ("cannot connect to ...: ...").
    std::cerr << "uvmas call: " << connect_error << std::endl;
    co_return 2;
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

/// The call under `--timeout`: connecting and calling together get `seconds`
/// of wall-clock time; after that, exit status 2.
Task<int> call_with_deadline(Loop& loop, CallSpec spec, Array args, Map kwargs) {
  if (spec.timeout <= 0) co_return co_await do_call(loop, std::move(spec), std::move(args), std::move(kwargs));
  WallClock clock(loop);
  const double seconds = spec.timeout;
  try {
    co_return co_await with_timeout(clock, seconds, do_call(loop, std::move(spec), std::move(args), std::move(kwargs)));
  } catch (const TimeoutError& e) {
    std::cerr << "uvmas call: no answer: " << e.what() << std::endl;
  }
  co_return 2;
}

}  // namespace

void add_call_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("call", "Call an aiomas RPC service once and print the result as JSON");
  auto spec = std::make_shared<CallSpec>();
  cmd->add_option("ADDR", spec->address, "Address of the service, e.g. tcp://127.0.0.1:5555, or of an agent, e.g. tcp://127.0.0.1:5555/0")->required();
  cmd->add_option("PATH", spec->path, "The function's path, e.g. add or sub/mul")->required();
  cmd->add_option("ARG", spec->args, "Positional arguments: JSON when they look like JSON, else text");
  // One NAME=VALUE per --kw, so the words after it stay positional arguments.
  cmd->add_option("--kw", spec->kwargs, "Keyword argument NAME=VALUE (VALUE as ARG); repeat for more")
      ->allow_extra_args(false);
  cmd->add_flag("--raw", spec->raw, "Send every ARG and --kw VALUE as text, never as JSON");
  cmd->add_option("--timeout", spec->timeout, "Give up after S seconds (connecting and calling), exit status 2")
      ->check(CLI::NonNegativeNumber)
      ->option_text("S");
  add_codec_option(cmd, spec->codec);
  spec->tls.add_to(cmd);
  cmd->callback([&action, spec] {
    action = [spec] {
      std::pair<Array, Map> arguments;
      try {
        arguments = call_arguments(*spec);
      } catch (const UsageError& e) {
        std::cerr << "uvmas call: " << e.what() << std::endl;
        return usage_exit_code;
      }
      Loop loop;
      return loop.run(call_with_deadline(loop, *spec, std::move(arguments.first), std::move(arguments.second)));
    };
  });
}

}  // namespace uvmas::cli
