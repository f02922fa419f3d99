#include "core/cpu/openblas_kernels.hpp"

#include <unistd.h>

#include <strings.h>
#include <cstdlib>

extern "C" char* openblas_get_corename(void);

namespace slatetrain::cpu {

namespace {
// Set on the restarted process, so that a restart never repeats (were OpenBLAS to ignore the
// variable, the program would otherwise restart for ever).
constexpr const char* kRestartedVariable = "SLATETRAIN_OPENBLAS_RESTARTED";
}  // namespace

CpuFeatures this_cpu_features() {
  CpuFeatures features;
#if defined(__x86_64__)
  __builtin_cpu_init();
  features.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  features.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                    __builtin_cpu_supports("avx512vl");
#endif
  return features;
}

std::string better_openblas_core(const std::string& loaded_core, const CpuFeatures& features) {
  if (strcasecmp(loaded_core.c_str(), "Prescott") != 0) return "";
  if (features.avx512) return "SkylakeX";
  if (features.avx2_fma) return "Haswell";
  return "";
}

std::string openblas_core_name() {
  const char* name = openblas_get_corename();
  return name ? name : "unknown";
}

void restart_with_better_openblas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv(kRestartedVariable)) return;
  const std::string core = better_openblas_core(openblas_core_name(), this_cpu_features());
  if (core.empty()) return;
  if (::setenv("OPENBLAS_CORETYPE", core.c_str(), 1) != 0) return;
  if (::setenv(kRestartedVariable, "1", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // No restart (no /proc, say): run on as loaded, without pretending to have chosen.
  ::unsetenv("OPENBLAS_CORETYPE");
  ::unsetenv(kRestartedVariable);
}

}  // namespace slatetrain::cpu
