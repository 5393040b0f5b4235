#include "uvmas/core/error.hpp"

#include <uv.h>

#include <exception>
#include <new>
#include <system_error>

namespace uvmas {

namespace {
std::string_view last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto pos = text.rfind('\n');
  return pos == std::string_view::npos ? text : text.substr(pos + 1);
}
}  // namespace

RemoteException::RemoteException(std::string origin, std::string remote_traceback)
    : Error("Origin: " + origin + "\n" + remote_traceback),
      origin_(std::move(origin)),
      traceback_(std::move(remote_traceback)) {}

std::string RemoteException::remote_type() const {
  auto line = last_line(traceback_);
  auto pos = line.find(": ");
  if (pos == std::string_view::npos) {
    // "ValueError" alone (an exception raised without a message).
    return line.find(' ') == std::string_view::npos ? std::string(line) : std::string();
  }
  return std::string(line.substr(0, pos));
}

std::string RemoteException::remote_message() const {
  auto line = last_line(traceback_);
  auto pos = line.find(": ");
  return pos == std::string_view::npos ? std::string() : std::string(line.substr(pos + 2));
}

std::string uv_message(int status) {
  return std::string(uv_strerror(status)) + " (" + uv_err_name(status) + ")";
}

void throw_uv(int status, std::string_view what) {
  throw ConnectionError(std::string(what) + ": " + uv_message(status));
}

ErrorDescription describe(const std::exception_ptr& e) {
  ErrorDescription d;
  try {
    std::rethrow_exception(e);
  } catch (const Error& ex) {
    d.type = ex.python_class();
    d.message = ex.what();
  } catch (const std::exception& ex) {
    // Standard exceptions get the nearest Python builtin, most specific first.
    try {
      throw;
    } catch (const std::invalid_argument&) {
      d.type = "ValueError";
    } catch (const std::domain_error&) {
      d.type = "ValueError";
    } catch (const std::length_error&) {
      d.type = "ValueError";
    } catch (const std::out_of_range&) {
      d.type = "IndexError";
    } catch (const std::overflow_error&) {
      d.type = "OverflowError";
    } catch (const std::bad_alloc&) {
      d.type = "MemoryError";
    } catch (...) {
      d.type = "RuntimeError";
    }
    d.message = ex.what();
  } catch (...) {
    d.type = "RuntimeError";
    d.message = "unknown C++ exception";
  }
  d.traceback = "Traceback (most recent call last):\n  File \"<uvmas>\", line 0, in uvmas\n" + d.line() + "\n";
  return d;
}

std::string ErrorDescription::line() const { return message.empty() ? type : type + ": " + message; }

}  // namespace uvmas
