#pragma once
/// The exception family of uvmas. Names follow Python's, because aiomas users
/// see these names on both sides of a connection: a C++ `ValueError` arrives
/// at a Python peer as `ValueError: <message>`.

#include <stdexcept>
#include <string>
#include <string_view>

namespace uvmas {

/// Base of every error uvmas raises itself (aiomas's `AiomasError`).
/// Each class names the Python class a peer sees for it; a user's subclass
/// inherits its parent's name unless it overrides python_class().
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
  /// The Python class name a peer sees for this error.
  virtual const char* python_class() const noexcept { return "RuntimeError"; }
};

/// The peer is gone, the connection was closed or broken, or could not be made.
/// Pending requests on a lost connection fail with this error.
struct ConnectionError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "ConnectionError"; }
};

/// Awaiting took longer than allowed (`with_timeout`).
struct TimeoutError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "TimeoutError"; }
};

/// Python-named errors that user code can throw so that a Python peer sees
/// the expected class name in the traceback's last line.
struct ValueError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "ValueError"; }
};
struct TypeError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "TypeError"; }
};
struct LookupError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "LookupError"; }
};
struct KeyError : LookupError {
  using LookupError::LookupError;
  const char* python_class() const noexcept override { return "KeyError"; }
};
struct NotImplementedError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "NotImplementedError"; }
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
  const char* python_class() const noexcept override { return "aiomas.exceptions.RemoteException"; }

 private:
  std::string origin_;
  std::string traceback_;
};

/// Turns a libuv status code into a ConnectionError (or std::system_error-like
/// Error) with a message such as "connect 127.0.0.1:5555: connection refused (ECONNREFUSED)".
[[noreturn]] void throw_uv(int status, std::string_view what);
/// "connection refused (ECONNREFUSED)" for a libuv status code.
std::string uv_message(int status);

/// What a peer is told about a failure. aiomas sends a Python traceback;
/// Python peers only show it and C++ peers read its last line, so uvmas sends
/// a traceback-shaped text whose last line is `<type>: <message>`.
struct ErrorDescription {
  /// The Python class name: Error::python_class() for uvmas errors, the
  /// nearest Python builtin for standard exceptions (std::invalid_argument is
  /// a ValueError, std::bad_alloc a MemoryError, ...), else "RuntimeError".
  std::string type;
  /// The exception's what() ("" if it has none).
  std::string message;
  /// The text of an EXCEPTION reply, ending in `line()` and a newline.
  std::string traceback;
  /// `<type>: <message>`, or `<type>` alone for an empty message.
  std::string line() const;
};

/// Describes the exception held by `e` (which must not be null).
ErrorDescription describe(const std::exception_ptr& e);

}  // namespace uvmas
