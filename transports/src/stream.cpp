#include "uvmas/transports/stream.hpp"

namespace uvmas {

Task<> Stream::drained() {
  flush();
  while (!closed() && buffered() > 0) co_await drain_waiters_.wait();
}

}  // namespace uvmas
