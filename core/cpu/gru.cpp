// CpuBackend: a GRU over a sequence with a per-step advance mask (PyTorch gate convention).
// A step advances only the sequences whose mask is set (in the slate model: a click); the
// recurrent product and the gate loops run over those rows alone, gathered into a compact
// block, and the other sequences copy their state.
//
// Workspace layout (floats), B = batch, T = steps, H = hidden:
//   input_gates     [B, T, 3H]  W_ih x + b_ih; the backward reuses it for the input side's
//                               d(pre-activations)
//   gates           [B, T, 4H]  r, z, n and hn = W_hn h + b_hn per advancing step
//   previous_state  [B, T, H]   h_{t-1} per step (so that dW_hh is one matrix product)
//   hidden_grads    [B, T, 3H]  d(pre-activations), hidden side: dr, dz, r * dn
//   hidden_gates    [B, 3H]     W_hh h_{t-1} + b_hh of the step's advancing rows (compact); the
//                               backward gathers their hidden_grads here
//   state_grad      [B, H]      dL/dh carried backwards through time
//   compact_state   [B, H]      h_{t-1} of the step's advancing rows; in the backward, their
//                               hidden_grads W_hh
#include <cmath>
#include <cstring>
#include <vector>

#include "core/cpu/blas.hpp"
#include "core/cpu/fast_activations.hpp"
#include "core/cpu/vector_clones.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

struct GruWorkspace {
  float* input_gates;
  float* gates;
  float* previous_state;
  float* hidden_grads;
  float* hidden_gates;
  float* state_grad;
  float* compact_state;
};

GruWorkspace split_workspace(float* workspace, int64_t batch, int64_t steps, int64_t hidden) {
  const int64_t sequence = batch * steps;
  GruWorkspace parts;
  parts.input_gates = workspace;
  parts.gates = parts.input_gates + sequence * 3 * hidden;
  parts.previous_state = parts.gates + sequence * 4 * hidden;
  parts.hidden_grads = parts.previous_state + sequence * hidden;
  parts.hidden_gates = parts.hidden_grads + sequence * 3 * hidden;
  parts.state_grad = parts.hidden_gates + batch * 3 * hidden;
  parts.compact_state = parts.state_grad + batch * hidden;
  return parts;
}

// One step of one sequence: the gates (kept for the backward pass) and the next state. The
// restrict-qualified parameters let GCC vectorise the loop without run-time overlap checks;
// always inlined, so that each clone of gru_cells_forward vectorises it for its own target.
__attribute__((always_inline)) inline void gru_cell_forward(
    float* __restrict gate_r, float* __restrict gate_z, float* __restrict gate_n,
    float* __restrict gate_hn, float* __restrict next, const float* __restrict x_r,
    const float* __restrict x_z, const float* __restrict x_n, const float* __restrict h_r,
    const float* __restrict h_z, const float* __restrict h_n, const float* __restrict previous,
    int64_t hidden) {
  for (int64_t j = 0; j < hidden; ++j) {
    const float r = cpu::fast_sigmoid(x_r[j] + h_r[j]);
    const float z = cpu::fast_sigmoid(x_z[j] + h_z[j]);
    const float hn = h_n[j];
    const float n = cpu::fast_tanh(x_n[j] + r * hn);
    gate_r[j] = r;
    gate_z[j] = z;
    gate_n[j] = n;
    gate_hn[j] = hn;
    next[j] = (1.0f - z) * n + z * previous[j];
  }
}

// Step t of the advancing sequences active[begin, end), whose W_hh h_{t-1} + b_hh are the
// rows [begin, end) of hidden_gates. Cloned for wider vectors (core/cpu/vector_clones.hpp);
// gru.cpp is compiled without floating-point contraction, so every clone rounds as the
// baseline does and the states are bitwise the same on any x86-64 processor.
SLATETRAIN_VECTOR_CLONES void gru_cells_forward(const GruWorkspace& ws, float* output,
                                                const int64_t* active, int64_t begin, int64_t end,
                                                int64_t t, int64_t T, int64_t H) {
  for (int64_t k = begin; k < end; ++k) {
    const int64_t step = active[k] * T + t;
    const float* x_r = ws.input_gates + step * 3 * H;
    const float* h_r = ws.hidden_gates + k * 3 * H;
    float* gate_r = ws.gates + step * 4 * H;
    gru_cell_forward(gate_r, gate_r + H, gate_r + 2 * H, gate_r + 3 * H, output + step * H, x_r,
                     x_r + H, x_r + 2 * H, h_r, h_r + H, h_r + 2 * H, ws.previous_state + step * H,
                     H);
  }
}

// The gates' part of one step's backward pass for one sequence (restrict and always inlined
// as gru_cell_forward is): d(pre-activations) on both sides, and dL/dh_{t-1} through the
// direct paths.
__attribute__((always_inline)) inline void gru_cell_backward(
    float* __restrict dx_gates, float* __restrict dh_gates, float* __restrict dh,
    const float* __restrict dout, const float* __restrict gates, const float* __restrict previous,
    int64_t hidden) {
  const int64_t H = hidden;
  for (int64_t j = 0; j < H; ++j) {
    const float r = gates[j], z = gates[H + j], n = gates[2 * H + j];
    const float hn = gates[3 * H + j];
    const float grad = dh[j] + dout[j];
    const float dn_pre = grad * (1.0f - z) * (1.0f - n * n);
    const float dz_pre = grad * (previous[j] - n) * z * (1.0f - z);
    const float dr_pre = dn_pre * hn * r * (1.0f - r);
    dx_gates[j] = dr_pre;
    dx_gates[H + j] = dz_pre;
    dx_gates[2 * H + j] = dn_pre;
    dh_gates[j] = dr_pre;
    dh_gates[H + j] = dz_pre;
    dh_gates[2 * H + j] = dn_pre * r;
    dh[j] = grad * z;
  }
}

// Step t's gate gradients for sequences [begin, end). Cloned as gru_cells_forward is.
SLATETRAIN_VECTOR_CLONES void gru_cells_backward(const GruWorkspace& ws, float* input_grads,
                                                 const float* doutput, const uint8_t* advance,
                                                 int64_t begin, int64_t end, int64_t t, int64_t T,
                                                 int64_t H) {
  for (int64_t b = begin; b < end; ++b) {
    const int64_t step = b * T + t;
    float* dh = ws.state_grad + b * H;
    const float* dout = doutput + step * H;
    float* dx_gates = input_grads + step * 3 * H;
    float* dh_gates = ws.hidden_grads + step * 3 * H;
    if (!advance[step]) {
      for (int64_t j = 0; j < H; ++j) dh[j] += dout[j];
      std::memset(dx_gates, 0, static_cast<size_t>(3 * H) * sizeof(float));
      std::memset(dh_gates, 0, static_cast<size_t>(3 * H) * sizeof(float));
      continue;
    }
    gru_cell_backward(dx_gates, dh_gates, dh, dout, ws.gates + step * 4 * H,
                      ws.previous_state + step * H, H);
  }
}

}  // namespace

int64_t CpuBackend::gru_workspace_floats(int64_t batch, int64_t steps, int64_t /*input_size*/,
                                         int64_t hidden_size) const {
  return batch * steps * 11 * hidden_size + batch * 5 * hidden_size;
}

void CpuBackend::gru_forward(float* output, float* workspace, const float* input,
                             const float* initial_state, const uint8_t* advance,
                             const float* weight_ih, const float* weight_hh, const float* bias_ih,
                             const float* bias_hh, int64_t batch, int64_t steps, int64_t input_size,
                             int64_t hidden_size) {
  const int64_t B = batch, T = steps, I = input_size, H = hidden_size;
  REQUIRE(B >= 0 && T >= 0 && I > 0 && H > 0, "gru_forward: bad sizes batch=" << B << " steps=" << T
                                                                              << " input=" << I
                                                                              << " hidden=" << H);
  if (B == 0 || T == 0) return;
  GruWorkspace ws = split_workspace(workspace, B, T, H);

  // Input side of every step at once: [B*T, 3H] = input [B*T, I] W_ih^T + b_ih.
  cpu::sgemm(gemm_pool(), false, true, B * T, 3 * H, I, 1.0f, input, I, weight_ih, I, 0.0f,
             ws.input_gates, 3 * H);
  add_bias(ws.input_gates, bias_ih, B * T, 3 * H);

  std::vector<int64_t> active;
  active.reserve(static_cast<size_t>(B));
  const size_t row_bytes = static_cast<size_t>(H) * sizeof(float);
  for (int64_t t = 0; t < T; ++t) {
    // h_{t-1} for every sequence in previous_state[:, t]; a held sequence keeps it, the
    // advancing ones are listed and their h_{t-1} gathered into compact_state.
    active.clear();
    for (int64_t b = 0; b < B; ++b) {
      const int64_t step = b * T + t;
      float* previous = ws.previous_state + step * H;
      const float* source =
          t > 0 ? output + (step - 1) * H : (initial_state ? initial_state + b * H : nullptr);
      if (source) {
        std::memcpy(previous, source, row_bytes);
      } else {
        std::memset(previous, 0, row_bytes);
      }
      if (advance[step]) {
        std::memcpy(ws.compact_state + static_cast<int64_t>(active.size()) * H, previous,
                    row_bytes);
        active.push_back(b);
      } else {
        std::memcpy(output + step * H, previous, row_bytes);
      }
    }
    const int64_t advancing = static_cast<int64_t>(active.size());
    if (advancing == 0) continue;
    // hidden_gates [advancing, 3H] = h_{t-1} W_hh^T + b_hh.
    cpu::sgemm(gemm_pool(), false, true, advancing, 3 * H, H, 1.0f, ws.compact_state, H, weight_hh,
               H, 0.0f, ws.hidden_gates, 3 * H);
    add_bias(ws.hidden_gates, bias_hh, advancing, 3 * H);
    parallel_for(advancing, 8, [&](int64_t begin, int64_t end) {
      gru_cells_forward(ws, output, active.data(), begin, end, t, T, H);
    });
  }
}

void CpuBackend::gru_backward(float* dinput, float* dinitial_state, float* dweight_ih,
                              float* dweight_hh, float* dbias_ih, float* dbias_hh,
                              const float* doutput, const float* input,
                              const float* /*initial_state*/, const uint8_t* advance,
                              const float* weight_ih, const float* weight_hh,
                              const float* /*output*/, float* workspace, int64_t batch,
                              int64_t steps, int64_t input_size, int64_t hidden_size) {
  const int64_t B = batch, T = steps, I = input_size, H = hidden_size;
  if (B == 0 || T == 0) {
    if (dinitial_state) zero(dinitial_state, static_cast<size_t>(B * H) * sizeof(float));
    return;
  }
  GruWorkspace ws = split_workspace(workspace, B, T, H);
  float* input_grads = ws.input_gates;  // forward's input gates are no longer needed
  zero(ws.state_grad, static_cast<size_t>(B * H) * sizeof(float));
  std::vector<int64_t> active;
  active.reserve(static_cast<size_t>(B));
  const size_t row_bytes = static_cast<size_t>(H) * sizeof(float);

  for (int64_t t = T - 1; t >= 0; --t) {
    // state_grad becomes dL/dh_{t-1} through the gates' direct paths; the W_hh path is added
    // by the matrix product below.
    parallel_for(B, 8, [&](int64_t begin, int64_t end) {
      gru_cells_backward(ws, input_grads, doutput, advance, begin, end, t, T, H);
    });
    // dL/dh_{t-1} += hidden_grads[b, t] W_hh [3H, H] for the advancing sequences (a held
    // step's hidden_grads are zero): gathered into hidden_gates, multiplied into compact_state,
    // added back.
    active.clear();
    for (int64_t b = 0; b < B; ++b) {
      if (!advance[b * T + t]) continue;
      std::memcpy(ws.hidden_gates + static_cast<int64_t>(active.size()) * 3 * H,
                  ws.hidden_grads + (b * T + t) * 3 * H, 3 * row_bytes);
      active.push_back(b);
    }
    const int64_t advancing = static_cast<int64_t>(active.size());
    if (advancing == 0) continue;
    cpu::sgemm(gemm_pool(), false, false, advancing, H, 3 * H, 1.0f, ws.hidden_gates, 3 * H,
               weight_hh, H, 0.0f, ws.compact_state, H);
    for (int64_t k = 0; k < advancing; ++k) {
      float* __restrict target = ws.state_grad + active[k] * H;
      const float* __restrict source = ws.compact_state + k * H;
      for (int64_t j = 0; j < H; ++j) target[j] += source[j];
    }
  }
  if (dinitial_state) {
    copy_on_device(dinitial_state, ws.state_grad, static_cast<size_t>(B * H) * sizeof(float));
  }
  // Parameter gradients over all steps at once (accumulate).
  if (dweight_ih) {
    cpu::sgemm(gemm_pool(), true, false, 3 * H, I, B * T, 1.0f, input_grads, 3 * H, input, I, 1.0f,
               dweight_ih, I);
  }
  if (dweight_hh) {
    cpu::sgemm(gemm_pool(), true, false, 3 * H, H, B * T, 1.0f, ws.hidden_grads, 3 * H,
               ws.previous_state, H, 1.0f, dweight_hh, H);
  }
  if (dbias_ih) bias_backward(dbias_ih, input_grads, B * T, 3 * H);
  if (dbias_hh) bias_backward(dbias_hh, ws.hidden_grads, B * T, 3 * H);
  // Input gradient (overwrite): [B*T, I] = input_grads [B*T, 3H] W_ih [3H, I].
  if (dinput) {
    cpu::sgemm(gemm_pool(), false, false, B * T, I, 3 * H, 1.0f, input_grads, 3 * H, weight_ih, I,
               0.0f, dinput, I);
  }
}

}  // namespace slatetrain
