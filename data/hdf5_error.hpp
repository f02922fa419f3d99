// CHECK_HDF5: turns a failed HDF5 call (a negative return) into slatetrain::Error with the
// file, line, the failing call, the operating system's cause when HDF5 reports one (first), and
// HDF5's own error stack condensed to its innermost and outermost entries. HDF5's automatic
// printing of its error stack to stderr is switched off in every thread that calls HDF5 (the
// thread-safe library keeps that setting per thread), so errors are reported exactly once, by
// whoever catches the Error.
#pragma once

#include <hdf5.h>

#include <string>

namespace slatetrain {

// Switches off HDF5's automatic error printing in the calling thread (idempotent; called by
// every CHECK_HDF5).
void silence_hdf5_errors();

// The current HDF5 error stack as one line, innermost entry first ("H5FD__sec2_open: unable to
// open file; H5Fopen: unable to open file"), or "" if empty.
std::string hdf5_error_stack_message();

[[noreturn]] void throw_hdf5_error(const char* file, int line, const char* expression,
                                   const std::string& context);

// An HDF5 identifier closed by the right H5*close when it goes out of scope.
class Hdf5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Hdf5Handle() = default;
  Hdf5Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Hdf5Handle() { reset(); }
  Hdf5Handle(Hdf5Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) {
    other.id_ = -1;
  }
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      closer_ = other.closer_;
      other.id_ = -1;
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;

  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  // Gives up ownership (for closing with a checked call).
  hid_t release() {
    const hid_t id = id_;
    id_ = -1;
    return id;
  }
  void reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

}  // namespace slatetrain

// CHECK_HDF5(call, context_stream): evaluates the call once; a negative result raises an Error
// that names `context` (for example the file and dataset), the call and HDF5's own messages.
// Yields the call's value (an hid_t, herr_t or htri_t).
#define CHECK_HDF5(call, context_stream)                                              \
  ([&]() {                                                                            \
    ::slatetrain::silence_hdf5_errors();                                              \
    const auto hdf5_result_ = (call);                                                 \
    if (hdf5_result_ < 0) {                                                           \
      std::ostringstream hdf5_context_;                                               \
      hdf5_context_ << context_stream;                                                \
      ::slatetrain::throw_hdf5_error(__FILE__, __LINE__, #call, hdf5_context_.str()); \
    }                                                                                 \
    return hdf5_result_;                                                              \
  }())
