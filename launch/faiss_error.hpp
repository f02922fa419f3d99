// CHECK_FAISS(statement): runs a FAISS call and turns the faiss::FaissException (or the
// std::bad_alloc of a too large index) it may throw into the program's Error, with the call
// site and what was being done, so a FAISS failure reads like every other failure.
#pragma once

#include <new>

#include <faiss/impl/FaissException.h>

#include "core/error.hpp"

#define CHECK_FAISS(statement, what_stream)                      \
  do {                                                           \
    try {                                                        \
      statement;                                                 \
    } catch (const faiss::FaissException& faiss_exception_) {    \
      RAISE(what_stream << ": FAISS: " << faiss_exception_.msg); \
    } catch (const std::bad_alloc&) {                            \
      RAISE(what_stream << ": out of memory");                   \
    }                                                            \
  } while (0)
