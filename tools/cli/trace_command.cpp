// `uvmas trace DIR [--chrome FILE]`: merges the trace files of several
// containers (processes), prints a causal summary and writes Chrome
// trace-event JSON. The aiomas wire carries no trace ids, so a call is linked
// to its handling in another process by the pair of socket names of its
// connection (each end's local name is the other's peer name) and its request id.

#include "commands.hpp"

#include <uvmas/codecs/codec.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <tuple>

namespace uvmas::cli {

namespace {

struct Span {
  std::size_t process = 0;
  std::uint64_t conn = 0;
  std::uint64_t id = 0;
  bool served = false;  // handled here (else: a call made from here)
  std::string path;
  double start = 0, end = -1;  // wall seconds; end < 0: never answered
  int outcome = 0;             // 1 result, 2 exception, 0 none
  std::string error;
  bool has_cause = false;  // made calls: the served request that caused it
  std::uint64_t cause_conn = 0, cause_id = 0;
  long link = -1;  // made ↔ served in another process
  long lane = 0;
  double seconds() const { return end < 0 ? 0 : end - start; }
};

struct Process {
  std::string name;
  std::int64_t pid = 0;
  std::map<std::uint64_t, std::pair<std::string, std::string>> conns;  // serial → (local, peer)
  std::size_t frames = 0, spawns = 0, steps = 0;
  double last = 0;
};

const Value* field(const Value& m, std::string_view key) {
  for (const auto& [k, v] : m.as_map()) {
    if (k.is_string() && k.as_string() == key) return &v;
  }
  return nullptr;
}
std::string text(const Value& m, std::string_view key) {
  const Value* v = field(m, key);
  return v && v->is_string() ? v->as_string() : std::string();
}
double number(const Value& m, std::string_view key) {
  const Value* v = field(m, key);
  return v && v->is_number() ? v->as_double() : 0;
}
bool unsigned_field(const Value& m, std::string_view key, std::uint64_t& out) {
  const Value* v = field(m, key);
  if (!v || !v->is_int() || v->is_big_uint() || v->as_int() < 0) return false;
  out = v->as_uint();
  return true;
}

class Trace {
 public:
  void read(const std::filesystem::path& file) {
    std::ifstream in(file);
    Codec json(Format::json);
    Process p;
    p.name = file.filename().string();
    const std::size_t index = processes_.size();
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> served_open, made_open;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      Value e;
      try {
        e = json.decode(line);
      } catch (const std::exception&) {
        continue;  // a line cut short by a killed process
      }
      if (!e.is_map()) continue;
      const std::string ev = text(e, "ev");
      const double wall = number(e, "wall");
      p.last = std::max(p.last, wall);
      std::uint64_t conn = 0, id = 0;
      if (ev == "start" || ev == "name") {
        if (!text(e, "name").empty()) p.name = text(e, "name");
        if (ev == "start") p.pid = static_cast<std::int64_t>(number(e, "pid"));
      } else if (ev == "open" && unsigned_field(e, "conn", conn)) {
        p.conns[conn] = {text(e, "local"), text(e, "peer")};
      } else if (ev == "spawn") {
        ++p.spawns;
      } else if (ev == "step" || ev == "time") {
        p.steps += ev == "step";
      } else if ((ev == "in" || ev == "out") && unsigned_field(e, "conn", conn)) {
        ++p.frames;
        const bool keyed = unsigned_field(e, "id", id);
        const int type = static_cast<int>(number(e, "type"));
        const bool request = type == 0;
        const bool served = (ev == "in") == request;  // a request in, or a reply out: served here
        if (!keyed) continue;
        auto& open = served ? served_open : made_open;
        if (request) {
          Span s;
          s.process = index;
          s.conn = conn;
          s.id = id;
          s.served = served;
          s.path = text(e, "path");
          s.start = wall;
          if (const Value* cause = field(e, "cause");
              cause && cause->is_array() && cause->size() == 2 && cause->as_array()[0].is_int()) {
            s.has_cause = true;
            s.cause_conn = cause->as_array()[0].as_uint();
            s.cause_id = cause->as_array()[1].as_uint();
          }
          open[{conn, id}] = spans_.size();
          spans_.push_back(std::move(s));
        } else if (auto it = open.find({conn, id}); it != open.end()) {
          Span& s = spans_[it->second];
          s.end = wall;
          s.outcome = type;
          s.error = text(e, "error");
          open.erase(it);
        }
      }
    }
    processes_.push_back(std::move(p));
  }

  /// Pairs calls with their handling across processes, and requests with what they caused.
  void link() {
    using Key = std::tuple<std::string, std::string, std::uint64_t>;  // sender's local, sender's peer, id
    std::map<Key, std::size_t> served_by_key;
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      const Span& s = spans_[i];
      if (!s.served) continue;
      served_index_[{s.process, s.conn, s.id}] = i;
      const auto& [local, peer] = processes_[s.process].conns[s.conn];
      if (!local.empty() && !peer.empty()) served_by_key[{peer, local, s.id}] = i;
    }
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      Span& s = spans_[i];
      if (s.served) continue;
      const auto& [local, peer] = processes_[s.process].conns[s.conn];
      auto it = served_by_key.find({local, peer, s.id});
      if (it != served_by_key.end() && spans_[it->second].process != s.process) {
        s.link = static_cast<long>(it->second);
        spans_[it->second].link = static_cast<long>(i);
        ++linked_;
      }
      if (s.has_cause) {
        auto c = served_index_.find({s.process, s.cause_conn, s.cause_id});
        if (c != served_index_.end()) caused_[c->second].push_back(i);
      }
    }
  }

  void summary(std::ostream& out) {
    std::size_t calls = 0, failed = 0, frames = 0;
    for (const auto& p : processes_) frames += p.frames;
    for (const auto& s : spans_) {
      calls += !s.served || s.link < 0;  // a linked pair is one call
      failed += s.outcome == 2 && (s.served || s.link < 0);
    }
    out << "trace: " << processes_.size() << " processes, " << frames << " frames, " << calls << " calls ("
        << failed << " failed), " << linked_ << " linked across processes\n";
    for (const auto& p : processes_) {
      out << "  " << p.name << " (pid " << p.pid << "): " << p.frames << " frames, " << p.spawns << " agents, "
          << p.steps << " steps\n";
    }
    // Longest chains: from every call nobody caused, follow what its handling caused.
    std::vector<std::pair<std::size_t, std::vector<std::size_t>>> chains;
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      const Span& s = spans_[i];
      const bool root = (!s.served && !s.has_cause) || (s.served && s.link < 0);
      if (!root) continue;
      std::vector<std::size_t> chain = longest_from(i, 0);
      chains.emplace_back(chain.size(), std::move(chain));
    }
    std::stable_sort(chains.begin(), chains.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    out << "longest causal chains:\n";
    for (std::size_t k = 0; k < std::min<std::size_t>(3, chains.size()); ++k) {
      out << "  " << chains[k].first << " calls: ";
      for (std::size_t j = 0; j < chains[k].second.size(); ++j) {
        const Span& s = spans_[chains[k].second[j]];
        out << (j ? " -> " : "") << processes_[s.process].name << " " << s.path;
      }
      out << "\n";
    }
    std::vector<std::size_t> served;
    for (std::size_t i = 0; i < spans_.size(); ++i)
      if (spans_[i].served && spans_[i].end >= 0) served.push_back(i);
    std::stable_sort(served.begin(), served.end(),
                     [this](std::size_t a, std::size_t b) { return spans_[a].seconds() > spans_[b].seconds(); });
    out << "slowest calls:\n";
    for (std::size_t k = 0; k < std::min<std::size_t>(5, served.size()); ++k) {
      const Span& s = spans_[served[k]];
      char ms[32];
      std::snprintf(ms, sizeof ms, "%9.3f ms", s.seconds() * 1e3);
      out << "  " << ms << "  " << s.path << "  in " << processes_[s.process].name << "\n";
    }
    out << "failed calls:" << (failed ? "\n" : " none\n");
    std::size_t shown = 0;
    for (const auto& s : spans_) {
      if (s.outcome != 2 || !(s.served || s.link < 0) || shown++ >= 10) continue;
      out << "  " << s.path << "  in " << processes_[s.process].name << ": " << s.error << "\n";
    }
  }

  /// Chrome trace-event JSON: a slice per call handled or made, lanes so slices
  /// of one process never overlap, flow events from each call to its handling.
  std::size_t write_chrome(std::ostream& out, std::size_t& flows) {
    assign_lanes();
    Array events;
    auto us = [](double seconds) { return Value(std::llround(seconds * 1e6)); };
    auto entry = [](Map& m, const char* k, Value v) { m.emplace_back(Value(k), std::move(v)); };
    for (const auto& p : processes_) {
      Map m, args;
      entry(args, "name", Value(p.name));
      entry(m, "ph", Value("M"));
      entry(m, "name", Value("process_name"));
      entry(m, "pid", Value(p.pid));
      entry(m, "args", Value(std::move(args)));
      events.emplace_back(std::move(m));
    }
    for (const auto& s : spans_) {
      const Process& p = processes_[s.process];
      Map m, args;
      entry(args, "conn", Value(s.conn));
      entry(args, "id", Value(s.id));
      entry(args, "outcome", Value(s.outcome == 1 ? "result" : s.outcome == 2 ? "exception" : "unanswered"));
      if (!s.error.empty()) entry(args, "error", Value(s.error));
      entry(m, "name", Value(s.path.empty() ? std::string("(request)") : s.path));
      entry(m, "cat", Value(s.served ? "served" : "made"));
      entry(m, "ph", Value("X"));
      entry(m, "ts", us(s.start));
      entry(m, "dur", us(std::max(0.0, (s.end < 0 ? p.last : s.end) - s.start)));
      entry(m, "pid", Value(p.pid));
      entry(m, "tid", Value(s.lane));
      entry(m, "args", Value(std::move(args)));
      events.emplace_back(std::move(m));
    }
    flows = 0;
    for (const auto& s : spans_) {
      if (s.served || s.link < 0) continue;
      const Span& h = spans_[static_cast<std::size_t>(s.link)];
      ++flows;
      for (const Span* end : {&s, &h}) {
        Map m;
        entry(m, "ph", Value(end == &s ? "s" : "f"));
        if (end == &h) entry(m, "bp", Value("e"));
        entry(m, "id", Value(static_cast<std::uint64_t>(flows)));
        entry(m, "name", Value(s.path));
        entry(m, "cat", Value("call"));
        entry(m, "ts", us(end->start));
        entry(m, "pid", Value(processes_[end->process].pid));
        entry(m, "tid", Value(end->lane));
        events.emplace_back(std::move(m));
      }
    }
    const std::size_t count = events.size();
    Map root;
    entry(root, "traceEvents", Value(std::move(events)));
    entry(root, "displayTimeUnit", Value("ms"));
    out << Codec(Format::json).encode(Value(std::move(root))) << "\n";
    return count;
  }

  bool empty() const { return processes_.empty(); }

 private:
  // The longest chain of calls starting at span i (a made call or a handling).
  std::vector<std::size_t> longest_from(std::size_t i, int depth) {
    std::vector<std::size_t> best{i};
    if (depth > 64) return best;  // a cycle cannot happen, but a bound keeps it cheap
    const Span& s = spans_[i];
    std::size_t handling = s.served ? i : (s.link >= 0 ? static_cast<std::size_t>(s.link) : i);
    auto it = caused_.find(handling);
    if (it == caused_.end()) return best;
    for (std::size_t next : it->second) {
      std::vector<std::size_t> rest = longest_from(next, depth + 1);
      if (rest.size() + 1 > best.size()) {
        best.assign(1, i);
        best.insert(best.end(), rest.begin(), rest.end());
      }
    }
    return best;
  }

  void assign_lanes() {
    std::vector<std::size_t> order(spans_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [this](std::size_t a, std::size_t b) { return spans_[a].start < spans_[b].start; });
    std::vector<std::vector<double>> lane_end(processes_.size());
    for (std::size_t i : order) {
      Span& s = spans_[i];
      const double end = s.end < 0 ? processes_[s.process].last : s.end;
      auto& lanes = lane_end[s.process];
      std::size_t k = 0;
      while (k < lanes.size() && lanes[k] > s.start) ++k;
      if (k == lanes.size()) lanes.push_back(0);
      lanes[k] = end;
      s.lane = static_cast<long>(k);
    }
  }

  std::vector<Process> processes_;
  std::vector<Span> spans_;
  std::map<std::tuple<std::size_t, std::uint64_t, std::uint64_t>, std::size_t> served_index_;
  std::map<std::size_t, std::vector<std::size_t>> caused_;
  std::size_t linked_ = 0;
};

int run_trace(const std::string& dir, const std::string& chrome) {
  Trace trace;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
  }
  if (ec) {
    std::cerr << "uvmas trace: cannot read " << dir << ": " << ec.message() << std::endl;
    return 2;
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) trace.read(f);
  if (trace.empty()) {
    std::cerr << "uvmas trace: no trace files (*.jsonl) in " << dir << std::endl;
    return 2;
  }
  trace.link();
  trace.summary(std::cout);
  if (!chrome.empty()) {
    std::ofstream out(chrome);
    if (!out) {
      std::cerr << "uvmas trace: cannot write " << chrome << std::endl;
      return 2;
    }
    std::size_t flows = 0;
    const std::size_t events = trace.write_chrome(out, flows);
    std::cout << "wrote " << chrome << ": " << events << " trace events, " << flows
              << " flows (open in https://ui.perfetto.dev or chrome://tracing)" << std::endl;
  }
  return 0;
}

}  // namespace

void add_trace_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("trace", "Merge the traces in DIR (--trace DIR): causal summary, Chrome trace JSON");
  auto dir = std::make_shared<std::string>();
  auto chrome = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Directory the traces were written into")->required();
  cmd->add_option("--chrome", *chrome, "Write Chrome trace-event JSON (Perfetto, chrome://tracing) to FILE")
      ->option_text("FILE");
  cmd->callback([&action, dir, chrome] { action = [dir, chrome] { return run_trace(*dir, *chrome); }; });
}

}  // namespace uvmas::cli
