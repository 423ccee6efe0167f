/* The CPU's FP32 peak, measured with a loop of independent FMAs, so a
 * benchmark can say what fraction of it a model reaches. */
#ifndef AE_PEAK_H
#define AE_PEAK_H

/* GFLOP/s (an FMA counts 2) of `threads` threads each running the widest
 * FMA loop this CPU has, or the one of `bits` (512, 256 or 128; 0 = widest)
 * for about `seconds`. Returns a negative number when the CPU cannot run
 * the width asked for. *used (if not NULL) gets the width that ran. */
double ae_fp32_peak_gflops(int threads, double seconds, int bits, int *used);

#endif
