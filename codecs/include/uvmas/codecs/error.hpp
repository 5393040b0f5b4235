#pragma once
/// \file
/// Exception types thrown by the codecs: part of uvmas's one exception family,
/// so `catch (const uvmas::Error&)` sees them too.

#include "uvmas/core/error.hpp"

#include <string>
#include <string_view>

namespace uvmas {

/// Base of every error raised by the codecs (encode, decode, Value conversion).
struct CodecError : Error {
  using Error::Error;
};

/// Bytes that do not decode: malformed JSON/msgpack/blosc, nesting-depth limit,
/// invalid UTF-8, a leading BOM, an unknown typeid or a malformed `__type__` map.
/// aiomas aborts the connection in these cases.
struct DecodeError : CodecError {
  using CodecError::CodecError;
  const char* python_class() const noexcept override { return "ValueError"; }
};

/// A value cannot be encoded: bytes in JSON, an unregistered extension type,
/// an unsupported JSON map key, invalid UTF-8 text, a payload too large.
struct SerializationError : CodecError {
  using CodecError::CodecError;
  const char* python_class() const noexcept override { return "aiomas.exceptions.SerializationError"; }
};

/// `Value::as<T>()` (or an `as_xxx()` accessor) was used on the wrong kind or an
/// out-of-range number. `what()` reads like "expected int, got str at [1]['x']":
/// the message plus the path from the converted root to the offending element.
struct ConversionError : CodecError {
  /// A message without a path (the failing value is the converted root).
  explicit ConversionError(const std::string& message) : ConversionError(message, std::string()) {}
  /// A message plus a path such as "[1]['x']".
  ConversionError(std::string message, std::string path)
      : CodecError(path.empty() ? message : message + " at " + path),
        message_(std::move(message)),
        path_(std::move(path)) {}

  /// The message without the path.
  const std::string& message() const noexcept { return message_; }
  const char* python_class() const noexcept override { return "TypeError"; }
  /// The path ("" for the root), e.g. "[1]['x']".
  const std::string& path() const noexcept { return path_; }
  /// A copy with `segment` (e.g. "[3]" or "['key']") put in front of the path; container
  /// conversions use it while unwinding so the final path reads from the root.
  ConversionError with_prefix(std::string_view segment) const {
    std::string p(segment);
    p += path_;
    return ConversionError(message_, std::move(p));
  }

 private:
  std::string message_;
  std::string path_;
};

}  // namespace uvmas
