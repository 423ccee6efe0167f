/* Register-blocked direct kernels for stride-1 convolutions on "wide" planes.
 *
 * A wide plane is a C×H×W channel stored in rows of width WP with the
 * zero padding already in place, so that every tap (i, j) of a K×K window
 * is the same plane read at offset i·WP + j: one output q = y·WP + x of
 * a correlation is Σ_{c,i,j} w · in[c][q + i·WP + j], and outputs in the
 * WP − WO junk columns are computed and cropped afterwards.
 *
 * Why not im2col + GEMM: autoencoder layers have few channels (1 to 16 in
 * lesson 08's model), so the GEMMs are thin (M = OC) and the patch matrix
 * costs more to write than the multiply saves (measured: that model trained
 * at 2.7k samples/s per core with im2col + GEMM, 4.4-5.2k with these). Here
 * a tile of OB output channels × V vectors of VW outputs stays in registers
 * for the whole sum over (c, i, j): each input vector loaded is used OB
 * times, each weight V times, and nothing is written until the tile is done.
 *
 * The same kernel runs the forward pass and the input gradient (a "full"
 * correlation of the output gradient with the flipped, transposed weights);
 * the weight gradient has its own tile that sums over q. Vectors are GCC's
 * vector extension; the tiles (conv_tiles.inc) are compiled for AVX-512
 * (16 floats, 32 registers), AVX2 (8 floats, 16 registers) and baseline
 * SSE2 (4 floats), with tile sizes that fit each register file, and each
 * call runs the widest the CPU has (ae_simd_level). */
#include "conv.h"

#include <stdlib.h>
#include <string.h>

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define VW 16
#define SUF _v4
#define F_OB 8 /* 8×2: 16 accumulators of 32 zmm */
#define F_V 2
#define DW_OB 4 /* 4×3 sums and 4 dy vectors */
#include "conv_tiles.inc"
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define VW 8
#define SUF _v3
#define F_OB 4 /* 4×3: 12 accumulators of 16 ymm */
#define F_V 3
#define DW_OB 2 /* 2×3 sums, 2 dy vectors, the x vector */
#include "conv_tiles.inc"
#pragma GCC pop_options

/* The AVX-512 tiling on AVX2 registers (each 16-float vector is two): slow,
 * for the tests only (AELAB_SIMD=avx512-tiles), so that a machine without
 * AVX-512 still checks the tile sizes and leftovers its CPUs run. */
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define VW 16
#define SUF _v4e
#define F_OB 8
#define F_V 2
#define DW_OB 4
#include "conv_tiles.inc"
#pragma GCC pop_options

/* baseline x86-64 (SSE2): 4 floats, the AVX2 tiling */
#define VW 4
#define SUF _v1
#define F_OB 4
#define F_V 3
#define DW_OB 2
#include "conv_tiles.inc"

int ae_simd_level(void) {
  int cpu = __builtin_cpu_supports("x86-64-v4") ? 4 : __builtin_cpu_supports("x86-64-v3") ? 3 : 1;
  const char *cap = getenv("AELAB_SIMD");
  if (!cap) return cpu;
  if (!strcmp(cap, "avx512-tiles")) return cpu >= 3 ? 2 : cpu;
  int want = !strcmp(cap, "sse2") ? 1 : !strcmp(cap, "avx2") ? 3 : 4;
  return want < cpu ? want : cpu;
}

void ae_corr(int level, float *out, size_t OS, int CO, const float *in, size_t IS, int CI, const float *wt,
             const float *bias, int K, int WP, int L) {
  int Lr = (L + 15) & ~15;
  if (level >= 4)
    corr_v4(out, OS, CO, in, IS, CI, wt, bias, K, WP, Lr);
  else if (level == 3)
    corr_v3(out, OS, CO, in, IS, CI, wt, bias, K, WP, Lr);
  else if (level == 2)
    corr_v4e(out, OS, CO, in, IS, CI, wt, bias, K, WP, Lr);
  else
    corr_v1(out, OS, CO, in, IS, CI, wt, bias, K, WP, Lr);
}

void ae_corr_dw(int level, float *dwv, const float *dy, size_t DS, int CO, const float *x, size_t XS, int CI, int K,
                int WP, int L) {
  int Lr = (L + 15) & ~15;
  if (level >= 4)
    corr_dw_v4(dwv, dy, DS, CO, x, XS, CI, K, WP, Lr);
  else if (level == 3)
    corr_dw_v3(dwv, dy, DS, CO, x, XS, CI, K, WP, Lr);
  else if (level == 2)
    corr_dw_v4e(dwv, dy, DS, CO, x, XS, CI, K, WP, Lr);
  else
    corr_dw_v1(dwv, dy, DS, CO, x, XS, CI, K, WP, Lr);
}
