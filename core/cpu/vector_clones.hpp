// SLATETRAIN_VECTOR_CLONES before a function with a hot loop: on x86-64 (GCC, Clang) the function
// is compiled three times, for AVX-512, AVX2 and the baseline, and the processor's best clone
// is picked at load time. The build targets baseline x86-64 (SSE2), whose vectors are 4 floats
// wide and have no 64-bit multiplies; loops of the transformer's elementwise ops (the dropout
// hash, GELU) run several times faster in the wider clones.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SLATETRAIN_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SLATETRAIN_VECTOR_CLONES
#endif

// Before a loop whose iterations do not depend on each other (an output may alias its input
// element by element): GCC's ivdep lets it vectorise without run-time overlap checks. Clang
// does not know that pragma and warns about it.
#if defined(__GNUC__) && !defined(__clang__)
#define SLATETRAIN_IVDEP _Pragma("GCC ivdep")
#else
#define SLATETRAIN_IVDEP
#endif
