// Which OpenBLAS kernels run the CPU backend's matrix products, and the choice slatetrain makes
// when OpenBLAS falls back to its slowest ones (docs/CPU_PERFORMANCE.md, "OpenBLAS's kernel
// choice").
#pragma once

#include <string>

namespace slatetrain::cpu {

// What the CPU offers, as far as OpenBLAS's x86-64 kernel sets care.
struct CpuFeatures {
  bool avx2_fma = false;  // AVX2 and FMA: OpenBLAS's Haswell kernels
  bool avx512 = false;    // AVX-512 F, CD, BW, DQ and VL: its SkylakeX kernels
};

// This CPU's features (the compiler's cpuid reading, which also checks that the operating
// system saves the wider registers).
CpuFeatures this_cpu_features();

// The kernel set to ask OpenBLAS for instead of `loaded_core`, or "" to keep it. Only
// OpenBLAS's fallback for CPUs it does not recognise (Prescott, SSE3) is replaced, and only by a
// set the CPU supports; a core OpenBLAS recognised is its own choice.
std::string better_openblas_core(const std::string& loaded_core, const CpuFeatures& features);

// The kernel set OpenBLAS runs in this process ("Prescott", "SkylakeX", ...).
std::string openblas_core_name();

// Called first in main: when OpenBLAS loaded its fallback kernels on a CPU that supports better
// ones and the user has not set OPENBLAS_CORETYPE, sets it and starts this program again in
// the same process (execv of /proc/self/exe with the same arguments). OpenBLAS reads the
// variable only when it loads, before main, so this is the one way to change its choice. Never
// returns after a successful restart; returns (keeping the fallback) when the restart fails.
void restart_with_better_openblas_kernels(char** argv);

}  // namespace slatetrain::cpu
