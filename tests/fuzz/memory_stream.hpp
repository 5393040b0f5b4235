#pragma once
// A Stream over a byte string, for fuzzing the channel, RPC and mosaik layers
// without sockets: start() delivers the input from the loop in pieces (the
// piece sizes come from the input, so frames arrive split and coalesced),
// honours pause/resume, discards what is written, and reports the end of the
// input as the peer closing.

#include <uvmas/core/loop.hpp>
#include <uvmas/transports/stream.hpp>

#include <algorithm>
#include <string>

namespace uvmas::fuzz {

class MemoryStream final : public Stream {
 public:
  MemoryStream(Loop& loop, std::string input) : loop_(loop), input_(std::move(input)) {}
  ~MemoryStream() override { close(); }

  void start(StreamHandler& handler) override {
    handler_ = &handler;
    resume_reading();
  }
  void pause_reading() override { paused_ = true; }
  void resume_reading() override {
    paused_ = false;
    if (!closed_ && handler_) loop_.call_soon(feed_);
  }
  void flush() override { out_.clear(); }
  std::size_t buffered() const noexcept override { return 0; }
  void close() noexcept override {
    closed_ = true;
    feed_.unlink();
  }
  bool closed() const noexcept override { return closed_; }
  std::string peer_name() const override { return "MemoryStream"; }
  Loop& loop() const noexcept override { return loop_; }

 private:
  void feed() {
    if (closed_ || paused_ || !handler_) return;
    if (pos_ >= input_.size()) {
      StreamHandler* h = handler_;
      close();
      h->on_closed("connection closed by peer");
      return;
    }
    // Piece length from the byte at the current position: 1..256 bytes.
    const std::size_t piece = std::min<std::size_t>(input_.size() - pos_, 1 + static_cast<unsigned char>(input_[pos_]));
    std::string_view chunk(input_.data() + pos_, piece);
    pos_ += piece;
    handler_->on_read(chunk);
    if (!closed_ && !paused_) loop_.call_soon(feed_);
  }
  struct Feed final : SoonCallback {
    MemoryStream* self;
    explicit Feed(MemoryStream* s) : self(s) {}
    void fire() override { self->feed(); }
  };

  Loop& loop_;
  std::string input_;
  std::size_t pos_ = 0;
  StreamHandler* handler_ = nullptr;
  Feed feed_{this};
  bool paused_ = false;
  bool closed_ = false;
};

}  // namespace uvmas::fuzz
