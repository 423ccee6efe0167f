/* Sound: files in and out (libsndfile), resampling (libsoxr), the
 * short-time Fourier transform and its inverse (FFTW, single precision),
 * frames, and the measures of a cleaned signal against the clean one.
 *
 * Signals are tensors of float samples in [-1, 1): a mono signal is 1-D
 * [N], a multichannel one [N×C] (frames by channels, interleaved as in the
 * file). A spectrogram is [T×F]: T frames, F = n_fft/2 + 1 bins (0 to the
 * Nyquist frequency).
 *
 * Why libsoxr for resampling: it is the resampler sox itself uses (the
 * lesson's baseline runs sox, so both sides hear the same conversion), its
 * one-call soxr_oneshot needs no state, and its default high quality is
 * flat to 0.1 dB over 95% of the band with > 100 dB of rejection — better
 * than needed, at a speed that lets a first run convert hundreds of files
 * in a second or two. libsamplerate would do as well; it is slower at
 * equal quality. */
#ifndef AE_AUDIO_H
#define AE_AUDIO_H

#include "ae.h"
#include "tensor.h"

/* What a file holds, from its header. */
typedef struct ae_audio_info {
  long long frames; /* samples per channel */
  int rate;         /* samples per second */
  int channels;
  char format[64];   /* "WAV", "FLAC", "OGG" ... */
  char encoding[32]; /* "pcm16", "pcm24", "pcm32", "float", "double", "vorbis", ... */
} ae_audio_info_t;

int ae_audio_info(const char *path, ae_audio_info_t *info, ae_error_t *e);

/* Reads a whole file. rate > 0: resampled to that rate (0: as stored).
 * mono: channels averaged into [N]; otherwise [N×C] ([N] when C = 1).
 * Integer encodings come in exactly (a 16-bit sample s as s/32768, 24-bit
 * s/2^23), so writing them back at the same encoding gives the same bytes.
 * Errors: AE_EIO (missing or unreadable: the system's reason), AE_EFORMAT
 * (not audio, or a file shorter than its header says: "truncated"). */
ae_tensor_t *ae_audio_read(const char *path, int rate, int mono, ae_audio_info_t *info, ae_error_t *e);

/* Writes x ([N] or [N×C]) at `rate`. The container comes from the name's
 * extension (.wav, .flac, .ogg); encoding "pcm16" (NULL: the default),
 * "pcm24", "float" (WAV only) or "vorbis" (Ogg; the default there).
 * Samples outside [-1, 1) clip. Written to a temporary name and renamed
 * (file.h's rule): the old file stays if anything fails. */
int ae_audio_write(const char *path, const ae_tensor_t *x, int rate, const char *encoding, ae_error_t *e);

/* x ([N] or [N×C]) from rate `from` to rate `to` (libsoxr, high quality). */
ae_tensor_t *ae_audio_resample(const ae_tensor_t *x, double from, double to, ae_error_t *e);

/* Windows of n samples for the STFT; periodic (the overlap-add sum of a
 * Hann window at hop n/4 is flat). */
enum { AE_WINDOW_HANN, AE_WINDOW_HAMMING, AE_WINDOW_RECT };

/* Frames of the STFT of a mono x [N]: T = N / hop + 1 frames, frame t
 * centred on sample t·hop (x taken as 0 outside [0, N)). mag and phase are
 * [T×F], F = n_fft/2 + 1; phase in radians. Needs 0 < hop ≤ n_fft/2 so
 * every sample is seen by a window's middle half. */
int ae_stft_frames(int n, int hop);
int ae_stft(const ae_tensor_t *x, int n_fft, int hop, int window, ae_tensor_t **mag, ae_tensor_t **phase,
            ae_error_t *e);
/* The inverse: each frame's inverse FFT, windowed again and overlap-added,
 * divided by the summed squared windows (least-squares, Griffin & Lim
 * 1984), so istft(stft(x)) = x up to rounding. Returns [length]. */
ae_tensor_t *ae_istft(const ae_tensor_t *mag, const ae_tensor_t *phase, int n_fft, int hop, int window, int length,
                      ae_error_t *e);

/* Raw waveform frames: x [N] → [T×size], frame t = x[t·hop, t·hop + size)
 * (zeros past the end), T = ceil(max(N - size, 0) / hop) + 1; and back,
 * overlapping samples averaged, to [length]. */
ae_tensor_t *ae_frames(const ae_tensor_t *x, int size, int hop, ae_error_t *e);
ae_tensor_t *ae_overlap_add(const ae_tensor_t *frames, int hop, int length, ae_error_t *e);

/* Context: x [T×F] → [T×(2k+1)F], row t = frames t-k .. t+k side by side
 * (the first and last frame repeated past the ends). */
ae_tensor_t *ae_frames_context(const ae_tensor_t *x, int k, ae_error_t *e);

/* Measures of an estimate against the clean reference, in dB (both [N],
 * the same length). SNR: 10 log10(Σ ref² / Σ (ref − est)²). Segmental SNR:
 * the mean over frames of `frame` samples (hop = frame) of each frame's
 * SNR clamped to [-10, 35] dB, skipping frames whose clean energy is more
 * than 40 dB below the loudest frame's (silence says nothing about speech).
 * SI-SDR (Le Roux et al. 2019): both made zero-mean, the estimate split into
 * α·ref + residual with α = ⟨est, ref⟩/⟨ref, ref⟩, 10 log10(|α·ref|² / |residual|²):
 * scaling the estimate does not change it. A perfect estimate gives +inf. */
int ae_snr(const ae_tensor_t *ref, const ae_tensor_t *est, double *db, ae_error_t *e);
int ae_segsnr(const ae_tensor_t *ref, const ae_tensor_t *est, int frame, double *db, ae_error_t *e);
int ae_sisdr(const ae_tensor_t *ref, const ae_tensor_t *est, double *db, ae_error_t *e);

#endif
