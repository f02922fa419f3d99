# The CUDA backend (only when SLATETRAIN_CUDA found nvcc): CudaBackend, its kernels, the device
# memory pool, device choice. It joins slatetrain_core so that make_backend(Device::kCuda)
# works for every user of the core; SLATETRAIN_HAVE_CUDA tells code that it is there.
if(SLATETRAIN_CUDA)
  add_library(slatetrain_cuda_backend STATIC
    cuda_backend.cpp
    cuda_device.cpp
    cuda_memory_pool.cpp
    cuda/device_fault.cpp
    cuda/elementwise.cu
    cuda/embedding.cu
    cuda/gru.cu
    cuda/optimizer.cu
    cuda/reduction.cu
    cuda/sampled_softmax.cu
    cuda/slate.cu
    cuda/softmax.cu
    cuda/top_k.cu
    cuda/layer_norm.cu
    cuda/attention.cu
    cuda/gelu.cu
    cuda/dropout.cu
  )
  # cuDNN and NCCL headers come with the toolkit's include directory (core/cuda_error.hpp);
  # the backend itself needs only the runtime and cuBLAS.
  target_link_libraries(slatetrain_cuda_backend PUBLIC CUDA::cudart CUDA::cublas slatetrain_core)
  target_compile_definitions(slatetrain_cuda_backend PUBLIC SLATETRAIN_HAVE_CUDA)
  # Static libraries may depend on each other: core's make_backend needs CudaBackend, and the
  # backend needs core's errors.
  target_link_libraries(slatetrain_core PUBLIC slatetrain_cuda_backend)
endif()
