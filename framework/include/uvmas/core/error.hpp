#pragma once
/// The exception family of uvmas. Names follow Python's, because aiomas users
/// see these names on both sides of a connection: a C++ `ValueError` arrives
/// at a Python peer as `ValueError: <message>`.

#include <stdexcept>
#include <string>
#include <string_view>

namespace uvmas {

/// Base of every error uvmas raises itself (aiomas's `AiomasError`).
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The peer is gone, the connection was closed or broken, or could not be made.
/// Pending requests on a lost connection fail with this error.
struct ConnectionError : Error {
  using Error::Error;
};

/// Awaiting took longer than allowed (`with_timeout`).
struct TimeoutError : Error {
  using Error::Error;
};

/// The task was cancelled (shutdown of its owner).
struct Cancelled : Error {
  using Error::Error;
};

/// Python-named errors that user code can throw so that a Python peer sees
/// the expected class name in the traceback's last line.
struct ValueError : Error {
  using Error::Error;
};
struct TypeError : Error {
  using Error::Error;
};
struct LookupError : Error {
  using Error::Error;
};
struct KeyError : LookupError {
  using LookupError::LookupError;
};
struct NotImplementedError : Error {
  using Error::Error;
};

/// A failure reported by the peer (an EXCEPTION reply). `origin` is the peer's
/// address, `remote_traceback` the text the peer sent (for aiomas a Python
/// traceback ending in `Class: message`).
class RemoteException : public Error {
 public:
  RemoteException(std::string origin, std::string remote_traceback);
  const std::string& origin() const noexcept { return origin_; }
  const std::string& remote_traceback() const noexcept { return traceback_; }
  /// The class named in the traceback's last non-empty line (`ValueError`), or "".
  std::string remote_type() const;
  /// The message of the traceback's last non-empty line (after `Class: `).
  std::string remote_message() const;

 private:
  std::string origin_;
  std::string traceback_;
};

/// Turns a libuv status code into a ConnectionError (or std::system_error-like
/// Error) with a message such as "connect 127.0.0.1:5555: connection refused (ECONNREFUSED)".
[[noreturn]] void throw_uv(int status, std::string_view what);
/// "connection refused (ECONNREFUSED)" for a libuv status code.
std::string uv_message(int status);

/// The Python-style class name for the exception currently being handled or
/// held by `e` (ValueError, TypeError, LookupError, ConnectionError, ...);
/// unknown C++ exceptions map to "RuntimeError".
std::string python_class_name(const std::exception_ptr& e);
/// "<Class>: <message>" for `e`, the last line of an aiomas traceback.
std::string describe_exception(const std::exception_ptr& e);

}  // namespace uvmas
