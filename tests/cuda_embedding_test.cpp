// CudaBackend against CpuBackend: embedding gather, scatter-add (repeated and -1 indices) and
// segment sums (with empty segments); a bad index becomes an Error at the next synchronise.
#include "tests/cuda_test_support.hpp"

#include "core/error.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_integers;
using testing_cuda::random_values;
using testing_cuda::Twin;

using CudaEmbeddingTest = CudaBackendTest;

TEST_F(CudaEmbeddingTest, GatherAndScatterAdd) {
  const int64_t table_rows = 40, dim = 19, n = 257;
  // Indices in [-1, table_rows): -1 rows and many repeats.
  std::vector<int32_t> index = random_integers(n, 1, -1, static_cast<int32_t>(table_rows));
  Twin<int32_t> indices(cpu, *gpu, index);
  Twin<float> table(cpu, *gpu, random_values(table_rows * dim, 2));
  Twin<float> out(cpu, *gpu, random_values(n * dim, 3));
  cpu.embedding_forward(out.cpu(), table.cpu(), indices.cpu(), n, dim, table_rows);
  gpu->embedding_forward(out.gpu(), table.gpu(), indices.gpu(), n, dim, table_rows);
  EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 0.0)) << "embedding_forward";

  Twin<float> dtable(cpu, *gpu, random_values(table_rows * dim, 4));
  Twin<float> dout(cpu, *gpu, random_values(n * dim, 5));
  cpu.embedding_backward(dtable.cpu(), dout.cpu(), indices.cpu(), n, dim, table_rows);
  gpu->embedding_backward(dtable.gpu(), dout.gpu(), indices.gpu(), n, dim, table_rows);
  // Atomic additions in another order: equal up to float rounding.
  EXPECT_TRUE(arrays_near(dtable.gpu_values(), dtable.cpu_values(), 1e-5, 1e-5))
      << "embedding_backward";
}

TEST_F(CudaEmbeddingTest, SegmentSumWithEmptySegments) {
  const int64_t dim = 13;
  const std::vector<int64_t> offsets = {0, 3, 3, 10, 11, 11, 20};
  const int64_t segments = static_cast<int64_t>(offsets.size()) - 1, rows = offsets.back();
  Twin<int64_t> offset_array(cpu, *gpu, offsets);
  Twin<float> x(cpu, *gpu, random_values(rows * dim, 6));
  Twin<float> out(cpu, *gpu, random_values(segments * dim, 7));  // overwritten
  cpu.segment_sum(out.cpu(), x.cpu(), offset_array.cpu(), segments, dim);
  gpu->segment_sum(out.gpu(), x.gpu(), offset_array.gpu(), segments, dim);
  EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 1e-6));
}

TEST_F(CudaEmbeddingTest, OutOfRangeIndexIsAnErrorNamingTheIndex) {
  const int64_t table_rows = 10, dim = 4, n = 6;
  Twin<int32_t> indices(cpu, *gpu, {0, 1, -1, 12, 3, 4});
  Twin<float> table(cpu, *gpu, random_values(table_rows * dim, 8));
  Twin<float> out(cpu, *gpu, random_values(n * dim, 9));
  gpu->embedding_forward(out.gpu(), table.gpu(), indices.gpu(), n, dim, table_rows);
  try {
    gpu->synchronize();
    FAIL() << "an index of 12 in a table of 10 rows was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("index[3] = 12"), std::string::npos) << error.what();
  }
  // The fault is reported once; the backend stays usable.
  gpu->synchronize();
}

}  // namespace
}  // namespace slatetrain
