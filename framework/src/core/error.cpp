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

std::string python_class_name(const std::exception_ptr& e) {
  // Most specific first. Codec errors are named by the channel layer, which
  // sees both core and codecs (see framework/src/failure.cpp).
  try {
    std::rethrow_exception(e);
  } catch (const RemoteException&) {
    return "aiomas.exceptions.RemoteException";
  } catch (const KeyError&) {
    return "KeyError";
  } catch (const LookupError&) {
    return "LookupError";
  } catch (const ValueError&) {
    return "ValueError";
  } catch (const TypeError&) {
    return "TypeError";
  } catch (const NotImplementedError&) {
    return "NotImplementedError";
  } catch (const TimeoutError&) {
    return "TimeoutError";
  } catch (const Cancelled&) {
    return "asyncio.exceptions.CancelledError";
  } catch (const ConnectionError&) {
    return "ConnectionError";
  } catch (const std::invalid_argument&) {
    return "ValueError";
  } catch (const std::domain_error&) {
    return "ValueError";
  } catch (const std::out_of_range&) {
    return "IndexError";
  } catch (const std::length_error&) {
    return "ValueError";
  } catch (const std::overflow_error&) {
    return "OverflowError";
  } catch (const std::bad_alloc&) {
    return "MemoryError";
  } catch (...) {
    return "RuntimeError";
  }
}

std::string describe_exception(const std::exception_ptr& e) {
  std::string message;
  try {
    std::rethrow_exception(e);
  } catch (const RemoteException& ex) {
    message = ex.what();
  } catch (const std::exception& ex) {
    message = ex.what();
  } catch (...) {
    message = "unknown C++ exception";
  }
  std::string name = python_class_name(e);
  return message.empty() ? name : name + ": " + message;
}

}  // namespace uvmas
