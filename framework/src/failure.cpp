// How a C++ exception becomes the text of an EXCEPTION reply. aiomas sends a
// Python traceback; Python peers only show it, and C++ peers read its last
// line, so we send a traceback-shaped text whose last line is "Class: message".
#include "uvmas/codecs/error.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/framework/channel.hpp"

namespace uvmas {

std::string exception_class_name(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const ConversionError&) {
    return "TypeError";
  } catch (const SerializationError&) {
    return "aiomas.exceptions.SerializationError";
  } catch (const DecodeError&) {
    return "ValueError";
  } catch (...) {
    return python_class_name(e);
  }
}

std::string remote_traceback_text(const std::exception_ptr& error, std::string_view where) {
  std::string message;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& ex) {
    message = ex.what();
  } catch (...) {
    message = "unknown C++ exception";
  }
  std::string text = "Traceback (most recent call last):\n  File \"<uvmas>\", line 0, in ";
  text.append(where);
  text += "\n";
  text += exception_class_name(error);
  if (!message.empty()) {
    text += ": ";
    text += message;
  }
  text += "\n";
  return text;
}

}  // namespace uvmas
