#include <cuda_runtime.h>

#include "absl/strings/str_cat.h"
#include "kernels/cuda/rmsnorm.h"

namespace rlvr::cuda {
namespace {

constexpr int kThreads = 256;

// One block per row: a block-wide sum of squares, then a scaled copy.
__global__ void RmsNormForwardKernel(const float* x, const float* weight, float* out, int dim,
                                     float eps) {
  const float* row = x + static_cast<size_t>(blockIdx.x) * dim;
  float* out_row = out + static_cast<size_t>(blockIdx.x) * dim;
  __shared__ float partial[kThreads];
  float sum = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  const float inv_rms = rsqrtf(partial[0] / dim + eps);
  for (int i = threadIdx.x; i < dim; i += blockDim.x) out_row[i] = row[i] * inv_rms * weight[i];
}

absl::Status CudaError(cudaError_t err, const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", cudaGetErrorString(err)));
}

}  // namespace

absl::StatusOr<int> DeviceCount() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    return absl::UnavailableError(absl::StrCat("no usable CUDA device: ", cudaGetErrorString(err)));
  }
  if (count == 0) return absl::UnavailableError("no CUDA device present");
  return count;
}

absl::Status RmsNormForwardHost(const std::vector<float>& x, const std::vector<float>& weight,
                                int rows, int dim, float eps, std::vector<float>* out) {
  const size_t n = static_cast<size_t>(rows) * dim;
  if (x.size() != n || weight.size() != static_cast<size_t>(dim)) {
    return absl::InvalidArgumentError("RmsNormForwardHost: shape mismatch");
  }
  float *d_x = nullptr, *d_w = nullptr, *d_out = nullptr;
  cudaError_t err = cudaMalloc(&d_x, n * sizeof(float));
  if (err == cudaSuccess) err = cudaMalloc(&d_w, dim * sizeof(float));
  if (err == cudaSuccess) err = cudaMalloc(&d_out, n * sizeof(float));
  if (err == cudaSuccess)
    err = cudaMemcpy(d_x, x.data(), n * sizeof(float), cudaMemcpyHostToDevice);
  if (err == cudaSuccess) {
    err = cudaMemcpy(d_w, weight.data(), dim * sizeof(float), cudaMemcpyHostToDevice);
  }
  if (err == cudaSuccess) {
    RmsNormForwardKernel<<<rows, kThreads>>>(d_x, d_w, d_out, dim, eps);
    err = cudaGetLastError();
  }
  if (err == cudaSuccess) {
    out->resize(n);
    err = cudaMemcpy(out->data(), d_out, n * sizeof(float), cudaMemcpyDeviceToHost);
  }
  cudaFree(d_x);
  cudaFree(d_w);
  cudaFree(d_out);
  if (err != cudaSuccess) return CudaError(err, "RmsNormForwardHost");
  return absl::OkStatus();
}

}  // namespace rlvr::cuda
