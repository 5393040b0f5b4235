// Histogram buckets and the Prometheus text exposition of Metrics.

#include "uvmas/framework/observe.hpp"

#include <cstdio>
#include <cstdlib>

namespace uvmas {

void Histogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  ++buckets[i];
  ++count;
  sum += seconds;
}

namespace {

// The shortest text that reads back as `v` (`0.005`, not `0.0050000000000000001`).
std::string number(double v) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// A label value with \, " and newlines escaped, as the text format asks.
std::string label_text(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  explicit Exposition(std::string_view container) : label_("container=\"" + label_text(container) + "\"") {}

  void family(const char* name, const char* type, const char* help) {
    text_ += "# HELP uvmas_";
    text_ += name;
    text_ += ' ';
    text_ += help;
    text_ += "\n# TYPE uvmas_";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
  }
  void sample(const char* name, std::string_view extra_labels, double value) {
    text_ += "uvmas_";
    text_ += name;
    text_ += '{';
    text_ += label_;
    if (!extra_labels.empty()) {
      text_ += ',';
      text_ += extra_labels;
    }
    text_ += "} ";
    text_ += number(value);
    text_ += '\n';
  }
  void single(const char* name, const char* type, const char* help, double value) {
    family(name, type, help);
    sample(name, {}, value);
  }
  void histogram(const char* name, std::string_view labels, const Histogram& h) {
    const std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
    for (std::size_t i = 0; i < Histogram::bounds.size(); ++i) {
      cumulative += h.buckets[i];
      sample(bucket.c_str(), prefix + "le=\"" + number(Histogram::bounds[i]) + "\"", static_cast<double>(cumulative));
    }
    sample(bucket.c_str(), prefix + "le=\"+Inf\"", static_cast<double>(h.count));
    sample((std::string(name) + "_sum").c_str(), labels, h.sum);
    sample((std::string(name) + "_count").c_str(), labels, static_cast<double>(h.count));
  }
  std::string take() { return std::move(text_); }

 private:
  std::string label_;
  std::string text_;
};

double d(std::uint64_t v) { return static_cast<double>(v); }
double d(std::int64_t v) { return static_cast<double>(v); }

}  // namespace

std::string Metrics::prometheus_text(std::string_view name) const {
  Exposition e(name);
  e.family("messages_total", "counter", "Frames received and sent.");
  e.sample("messages_total", "direction=\"in\"", d(messages_in));
  e.sample("messages_total", "direction=\"out\"", d(messages_out));
  e.family("bytes_total", "counter", "Bytes received and sent, frame headers included.");
  e.sample("bytes_total", "direction=\"in\"", d(bytes_in));
  e.sample("bytes_total", "direction=\"out\"", d(bytes_out));
  e.family("calls_total", "counter", "Calls answered (side served) and replies received (side made), by outcome.");
  e.sample("calls_total", "side=\"served\",outcome=\"result\"", d(served.result));
  e.sample("calls_total", "side=\"served\",outcome=\"exception\"", d(served.exception));
  e.sample("calls_total", "side=\"made\",outcome=\"result\"", d(made.result));
  e.sample("calls_total", "side=\"made\",outcome=\"exception\"", d(made.exception));
  e.family("call_seconds", "histogram", "Wall time from a request to its reply.");
  e.histogram("call_seconds", "side=\"served\"", served_seconds);
  e.histogram("call_seconds", "side=\"made\"", made_seconds);
  e.single("requests_in_flight", "gauge", "Requests received and not yet answered.", d(requests_in_flight));
  e.single("connections", "gauge", "Open connections.", d(connections));
  e.single("connections_opened_total", "counter", "Connections ever opened.", d(connections_total));
  e.single("agents", "gauge", "Agents spawned.", d(agents));
  e.single("steps_total", "counter", "Moves of the container's ExternalClock.", d(steps));
  e.family("step_seconds", "histogram", "Wall time of ExternalClock::step_to.");
  e.histogram("step_seconds", {}, step_seconds);
  return e.take();
}

}  // namespace uvmas
