// The choice of OpenBLAS kernels (core/cpu/openblas_kernels.hpp): only OpenBLAS's fallback is
// replaced, only by kernels the CPU supports. The restart itself is tested through the
// slatetrain program (tests/openblas_kernels_test.py).
#include <gtest/gtest.h>

#include "core/cpu/openblas_kernels.hpp"

namespace slatetrain::cpu {
namespace {

CpuFeatures features(bool avx2_fma, bool avx512) {
  CpuFeatures result;
  result.avx2_fma = avx2_fma;
  result.avx512 = avx512;
  return result;
}

TEST(OpenBlasKernels, TheFallbackIsReplacedByTheWidestKernelsTheCpuSupports) {
  EXPECT_EQ(better_openblas_core("Prescott", features(true, true)), "SkylakeX");
  EXPECT_EQ(better_openblas_core("PRESCOTT", features(true, true)), "SkylakeX");
  EXPECT_EQ(better_openblas_core("Prescott", features(true, false)), "Haswell");
  EXPECT_EQ(better_openblas_core("Prescott", features(false, false)), "");
}

TEST(OpenBlasKernels, ACoreOpenBlasRecognisedIsKept) {
  for (const char* core : {"Haswell", "SkylakeX", "Zen", "Cooperlake", "SapphireRapids"}) {
    EXPECT_EQ(better_openblas_core(core, features(true, true)), "") << core;
  }
}

TEST(OpenBlasKernels, TheLoadedCoreHasAName) {
  EXPECT_FALSE(openblas_core_name().empty());
  EXPECT_NE(openblas_core_name(), "unknown");
}

}  // namespace
}  // namespace slatetrain::cpu
