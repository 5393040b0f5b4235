// The baseline: the ideal libuv server, a length-prefixed ping-pong written
// directly on libuv doing the same codec work per frame as uvmas (decode the
// request, compute, encode the reply triple) and nothing else: one loop, the
// reply encoded straight into the output buffer, one write per read batch
// (uv_try_write, then uv_write for a rest).

#include "bench.hpp"
#include "uvmas/codecs/frame.hpp"

#include <uv.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace uvmas::bench {

namespace {

void append_frame(std::string& out, const Codec& codec, const Value& v) {
  std::size_t start = out.size();
  out.append(frame_header_size, '\0');
  codec.encode(v, out);
  write_frame_header(out.data() + start, static_cast<std::uint32_t>(out.size() - start - frame_header_size));
}

// One connection end: buffers reads, hands complete payloads to on_frame,
// and writes what on_frame appended to `out` in one uv_write per read.
struct Conn {
  uv_tcp_t tcp{};
  std::string in;
  std::string out;
  std::string writing;
  uv_write_t req{};
  bool write_busy = false;
  std::function<void(std::string_view)> on_frame;
  char buf[256 * 1024];

  void flush() {
    if (write_busy || out.empty()) return;
    // What the kernel takes at once needs no write request (nor a poll for writability).
    uv_buf_t now = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp), &now, 1);
    if (n > 0) out.erase(0, static_cast<std::size_t>(n));
    if (out.empty()) return;
    writing.swap(out);
    out.clear();
    write_busy = true;
    uv_buf_t b = uv_buf_init(writing.data(), static_cast<unsigned>(writing.size()));
    req.data = this;
    uv_write(&req, reinterpret_cast<uv_stream_t*>(&tcp), &b, 1, [](uv_write_t* r, int) {
      auto* c = static_cast<Conn*>(r->data);
      c->write_busy = false;
      c->writing.clear();
      c->flush();
    });
  }
  void start() {
    tcp.data = this;
    uv_tcp_nodelay(&tcp, 1);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&tcp),
        [](uv_handle_t* h, std::size_t, uv_buf_t* b) {
          auto* c = static_cast<Conn*>(h->data);
          *b = uv_buf_init(c->buf, sizeof c->buf);
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
          auto* c = static_cast<Conn*>(s->data);
          if (n < 0) {
            uv_read_stop(s);
            uv_stop(s->loop);
            return;
          }
          c->in.append(b->base, static_cast<std::size_t>(n));
          std::size_t pos = 0;
          while (c->in.size() - pos >= frame_header_size) {
            std::uint32_t len = read_frame_header(c->in.data() + pos);
            if (c->in.size() - pos - frame_header_size < len) break;
            c->on_frame(std::string_view(c->in).substr(pos + frame_header_size, len));
            pos += frame_header_size + len;
          }
          c->in.erase(0, pos);
          c->flush();
        });
  }
};

}  // namespace

namespace {
Value request_content(Payload payload) {
  if (payload == Payload::echo) return Value("ping");
  Array args;
  args.emplace_back(1);
  args.emplace_back(2);
  Array call;
  call.emplace_back("add");
  call.emplace_back(Value(std::move(args)));
  call.emplace_back(Value(Map{}));
  return Value(std::move(call));
}

Value reply_content(Payload payload, Value& content) {
  if (payload == Payload::echo) return std::move(content);
  const Array& args = content.as_array()[1].as_array();
  return Value(args[0].as_int() + args[1].as_int());
}
}  // namespace

void raw_serve(Format format, Payload payload, const std::function<void(int)>& ready) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Codec codec(format, std::make_shared<Serializers>());
  uv_tcp_t server{};
  uv_tcp_init(&loop, &server);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&addr), 0);
  struct Ctx {
    uv_loop_t* loop;
    Codec* codec;
    Payload payload;
    std::unique_ptr<Conn> conn;
    Value reply = Value::array({1, 0, nullptr});  // reused: the reply triple costs no allocation
  } ctx{&loop, &codec, payload, nullptr};
  server.data = &ctx;
  uv_listen(reinterpret_cast<uv_stream_t*>(&server), 16, [](uv_stream_t* s, int) {
    auto* c = static_cast<Ctx*>(s->data);
    c->conn = std::make_unique<Conn>();
    uv_tcp_init(c->loop, &c->conn->tcp);
    uv_accept(s, reinterpret_cast<uv_stream_t*>(&c->conn->tcp));
    Conn* conn = c->conn.get();
    conn->on_frame = [conn, c](std::string_view payload) {
      Value msg = c->codec->decode(payload);
      Array& reply = c->reply.as_array();
      reply[1] = std::move(msg.as_array()[1]);
      reply[2] = reply_content(c->payload, msg.as_array()[2]);
      append_frame(conn->out, *c->codec, c->reply);
    };
    conn->start();
  });
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len);
  ready(ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port));
  uv_run(&loop, UV_RUN_DEFAULT);
}

double raw_client(Format format, Payload payload, int port, Pattern p) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Codec codec(format, std::make_shared<Serializers>());
  Conn conn;
  uv_tcp_init(&loop, &conn.tcp);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", port, &addr);
  uv_connect_t creq{};
  std::size_t sent = 0, received = 0;
  auto send_one = [&] {
    Array msg;
    msg.reserve(3);
    msg.emplace_back(0);
    msg.emplace_back(sent++);
    msg.emplace_back(request_content(payload));
    append_frame(conn.out, codec, Value(std::move(msg)));
  };
  const Value expected = payload == Payload::echo ? Value("ping") : Value(3);
  std::string error;
  conn.on_frame = [&](std::string_view frame) {
    Value reply = codec.decode(frame);
    if (!reply.is_array() || reply.size() != 3 || !(reply[0] == Value(1)) || !(reply[2] == expected)) {
      if (error.empty()) error = "unexpected reply " + to_repr(reply);
      uv_stop(&loop);
      return;
    }
    ++received;
    if (received == p.count) {
      uv_stop(&loop);
      return;
    }
    if (sent < p.count) send_one();
  };
  struct Start {
    Conn* conn;
    std::function<void()> go;
  } start{&conn, [&] {
            conn.start();
            for (std::size_t i = 0; i < p.in_flight && i < p.count; ++i) send_one();
            conn.flush();
          }};
  creq.data = &start;
  uv_tcp_connect(&creq, &conn.tcp, reinterpret_cast<const sockaddr*>(&addr), [](uv_connect_t* r, int) {
    static_cast<Start*>(r->data)->go();
  });
  auto t0 = std::chrono::steady_clock::now();
  uv_run(&loop, UV_RUN_DEFAULT);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uv_close(reinterpret_cast<uv_handle_t*>(&conn.tcp), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (!error.empty()) throw std::runtime_error("benchmark client: " + error);
  if (received != p.count) throw std::runtime_error("benchmark client: the server closed the connection");
  return static_cast<double>(received) / seconds;
}

}  // namespace uvmas::bench
