# The GRU gate loops, the row optimizers, the slate gradients and the GELU and dropout loops
# are compiled three times (SLATETRAIN_VECTOR_CLONES, core/cpu/vector_clones.hpp). The AVX-512
# clone has fused multiply-adds, and GCC fuses a * b + c there even with -std=c++17 (the GELU
# and dropout clones had 118 fused operations before they got this flag); -ffp-contract=off
# forbids it (GCC and Clang), so every clone rounds as the baseline (SSE2, no FMA) does and a
# run gives the same bits on any x86-64 processor.
# The GRU gate loop and the GELU loops use branch-free activations (core/cpu/fast_activations.hpp,
# core/cpu/gelu.cpp); GCC if-converts their clamps and selects (and so vectorises the loops)
# only when it may assume that float comparisons do not trap. This changes no result: it only
# drops the trap assumption.
# The GELU and dropout loops run over lengths known only at run time; -O2's "very cheap" cost
# model refuses some of them (those needing a scalar epilogue or more), the dynamic one (-O3's)
# vectorises them.
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU")
  set_source_files_properties(cpu/gru.cpp PROPERTIES COMPILE_OPTIONS
                              "-fno-trapping-math;-ffp-contract=off")
  set_source_files_properties(cpu/slate_scores.cpp PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
  set_source_files_properties(cpu/gelu.cpp PROPERTIES COMPILE_OPTIONS
                              "-fno-trapping-math;-fvect-cost-model=dynamic;-ffp-contract=off")
  set_source_files_properties(cpu/dropout.cpp PROPERTIES COMPILE_OPTIONS
                              "-fvect-cost-model=dynamic;-ffp-contract=off")
elseif(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set_source_files_properties(cpu/gru.cpp PROPERTIES COMPILE_OPTIONS
                              "-fno-trapping-math;-ffp-contract=off")
  set_source_files_properties(cpu/gelu.cpp PROPERTIES COMPILE_OPTIONS
                              "-fno-trapping-math;-ffp-contract=off")
  set_source_files_properties(cpu/dropout.cpp PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
  set_source_files_properties(cpu/slate_scores.cpp PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
endif()
# The row Adam/Adagrad loops take a square root per value; with errno semantics GCC keeps them
# scalar (a branch to sqrtf for negative inputs). Without, they vectorise: SSE's sqrtps and
# divps round exactly as sqrtss and divss do, so the results are bitwise the same.
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set_source_files_properties(cpu/optimizers.cpp PROPERTIES COMPILE_OPTIONS
                              "-fno-math-errno;-ffp-contract=off")
endif()
