/* Sound files through libsndfile, resampling through libsoxr (audio.h). */
#include "audio.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sndfile.h>
#include <soxr.h>

#include "file.h"

/* Integer samples travel as int32 (libsndfile left-aligns 16- and 24-bit
 * ones): s / 2^31 is exact in float for them, and so is the way back. */
#define INT_SCALE 2147483648.0

static const char *encoding_name(int sub) {
  switch (sub) {
  case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: return "pcm8";
  case SF_FORMAT_PCM_16: return "pcm16";
  case SF_FORMAT_PCM_24: return "pcm24";
  case SF_FORMAT_PCM_32: return "pcm32";
  case SF_FORMAT_FLOAT: return "float";
  case SF_FORMAT_DOUBLE: return "double";
  case SF_FORMAT_VORBIS: return "vorbis";
  case SF_FORMAT_OPUS: return "opus";
  case SF_FORMAT_ULAW: return "ulaw";
  case SF_FORMAT_ALAW: return "alaw";
  case SF_FORMAT_IMA_ADPCM: case SF_FORMAT_MS_ADPCM: return "adpcm";
  default: return "other";
  }
}

static int is_integer_pcm(int sub) {
  return sub == SF_FORMAT_PCM_S8 || sub == SF_FORMAT_PCM_U8 || sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_24 ||
         sub == SF_FORMAT_PCM_32;
}

static void fill_info(ae_audio_info_t *info, const SF_INFO *si) {
  info->frames = (long long)si->frames;
  info->rate = si->samplerate;
  info->channels = si->channels;
  SF_FORMAT_INFO fi = {.format = si->format & SF_FORMAT_TYPEMASK};
  if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name)
    snprintf(info->format, sizeof info->format, "%s", fi.name);
  else
    snprintf(info->format, sizeof info->format, "unknown");
  /* "WAV (Microsoft)" → "WAV": the first word names the container */
  info->format[strcspn(info->format, " ")] = '\0';
  snprintf(info->encoding, sizeof info->encoding, "%s", encoding_name(si->format & SF_FORMAT_SUBMASK));
}

/* Opens path for reading; on failure says why: missing, unreadable, a
 * folder, or not a sound file libsndfile knows. */
static SNDFILE *open_read(const char *path, SF_INFO *si, ae_error_t *e) {
  struct stat st;
  if (stat(path, &st) != 0) {
    ae_fail(e, AE_EIO, "cannot read %s: %s", path, strerror(errno));
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    ae_fail(e, AE_EIO, "cannot read %s: it is a folder, not a sound file", path);
    return NULL;
  }
  FILE *probe = fopen(path, "rb");
  if (!probe) {
    ae_fail(e, AE_EIO, "cannot read %s: %s", path, strerror(errno));
    return NULL;
  }
  fclose(probe);
  memset(si, 0, sizeof *si);
  SNDFILE *sf = sf_open(path, SFM_READ, si);
  if (!sf) {
    if (st.st_size == 0)
      ae_fail(e, AE_EFORMAT, "cannot read %s: the file is empty", path);
    else
      ae_fail(e, AE_EFORMAT, "cannot read %s: not a sound file libsndfile can read (WAV, FLAC, Ogg...): %s", path,
              sf_strerror(NULL));
    return NULL;
  }
  if (si->channels < 1 || si->samplerate < 1 || si->frames < 0) {
    sf_close(sf);
    ae_fail(e, AE_EFORMAT, "cannot read %s: its header is damaged (%d channels, %d Hz)", path, si->channels,
            si->samplerate);
    return NULL;
  }
  return sf;
}

int ae_audio_info(const char *path, ae_audio_info_t *info, ae_error_t *e) {
  SF_INFO si;
  SNDFILE *sf = open_read(path, &si, e);
  if (!sf) return e ? e->code : AE_EIO;
  fill_info(info, &si);
  sf_close(sf);
  return AE_OK;
}

/* libsndfile reads a WAV whose data chunk is cut short without complaint:
 * it notes "data : 8000 (should be 7999)" in its log and shrinks the frame
 * count. That log is how a truncated file is told from a short one. A
 * header that announces more than the file holds is truncation, unless the
 * announced length is a placeholder: writers to a pipe (espeak-ng --stdout,
 * sox, ffmpeg, arecord) cannot seek back, so they leave 0x7ffff000 or
 * 0xffffffff there, and the sound that follows is whole. */
#define STREAM_PLACEHOLDER 0x7fff0000LL
static int log_says_truncated(SNDFILE *sf) {
  char log[4096];
  log[0] = '\0';
  sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
  if (strstr(log, "truncated") || strstr(log, "Truncated")) return 1;
  for (const char *p = log; (p = strstr(p, " (should be ")) != NULL; p++) {
    const char *q = p;
    while (q > log && q[-1] >= '0' && q[-1] <= '9') q--;
    if (q == p) continue; /* not "<length> (should be <length>)" */
    long long said = strtoll(q, NULL, 10), is = strtoll(p + strlen(" (should be "), NULL, 10);
    if (said > is && said < STREAM_PLACEHOLDER) return 1;
  }
  return 0;
}

ae_tensor_t *ae_audio_read(const char *path, int rate, int mono, ae_audio_info_t *info, ae_error_t *e) {
  if (rate < 0) {
    ae_fail(e, AE_EARG, "audio read %s: rate %d is negative (0 keeps the file's rate)", path, rate);
    return NULL;
  }
  SF_INFO si;
  SNDFILE *sf = open_read(path, &si, e);
  if (!sf) return NULL;
  ae_audio_info_t own;
  if (!info) info = &own;
  fill_info(info, &si);
  int C = si.channels, sub = si.format & SF_FORMAT_SUBMASK;
  int truncated = log_says_truncated(sf);
  if (truncated || si.frames == 0 || si.frames > INT_MAX / C) {
    sf_close(sf);
    if (truncated)
      ae_fail(e, AE_EFORMAT, "cannot read %s: truncated (the file ends before the sound its header announces)", path);
    else
      ae_fail(e, AE_EFORMAT, "cannot read %s: %s", path, si.frames == 0 ? "it holds no samples" : "too long for one tensor");
    return NULL;
  }
  int N = (int)si.frames;
  int shape[2] = {N, C};
  ae_tensor_t *t = ae_tensor_new(C == 1 ? 1 : 2, shape, e);
  if (!t) {
    sf_close(sf);
    return NULL;
  }
  float *x = ae_tensor_data(t);
  sf_count_t got = 0;
  if (is_integer_pcm(sub)) {
    int *ibuf = malloc(sizeof(int) * (size_t)N * (size_t)C);
    if (!ibuf) {
      sf_close(sf);
      ae_tensor_free(t);
      ae_fail(e, AE_ENOMEM, "audio read %s: out of memory for %d frames", path, N);
      return NULL;
    }
    got = sf_readf_int(sf, ibuf, N);
    for (size_t i = 0; i < (size_t)got * (size_t)C; i++) x[i] = (float)(ibuf[i] / INT_SCALE);
    free(ibuf);
  } else {
    sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    got = sf_readf_float(sf, x, N);
  }
  int err = sf_error(sf);
  sf_close(sf);
  if (got < N || err) {
    ae_tensor_free(t);
    ae_fail(e, AE_EFORMAT, "cannot read %s: truncated or damaged (read %lld of %d frames%s%s)", path, (long long)got, N,
            err ? ": " : "", err ? sf_error_number(err) : "");
    return NULL;
  }
  if (mono && C > 1) {
    /* average the channels in place: frame i's mean goes to x[i] */
    for (int i = 0; i < N; i++) {
      double s = 0;
      for (int c = 0; c < C; c++) s += x[(size_t)i * C + c];
      x[i] = (float)(s / C);
    }
    int n1[1] = {N};
    ae_tensor_t *m = ae_tensor_new(1, n1, e);
    if (m) memcpy(ae_tensor_data(m), x, sizeof(float) * (size_t)N);
    ae_tensor_free(t);
    t = m;
    if (!t) return NULL;
    C = 1;
  }
  if (rate > 0 && rate != si.samplerate) {
    ae_tensor_t *r = ae_audio_resample(t, si.samplerate, rate, e);
    ae_tensor_free(t);
    t = r;
  }
  return t;
}

/* The container and encoding of a file name and an encoding name. */
static int write_format(const char *path, const char *encoding, int *format, ae_error_t *e) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash))
    return ae_fail(e, AE_EARG, "audio write %s: the name needs an extension saying the format (.wav, .flac, .ogg)",
                   path);
  int major;
  if (strcasecmp(dot, ".wav") == 0) major = SF_FORMAT_WAV;
  else if (strcasecmp(dot, ".flac") == 0) major = SF_FORMAT_FLAC;
  else if (strcasecmp(dot, ".ogg") == 0 || strcasecmp(dot, ".oga") == 0) major = SF_FORMAT_OGG;
  else
    return ae_fail(e, AE_EARG, "audio write %s: unknown extension '%s' (use .wav, .flac or .ogg)", path, dot);
  if (!encoding) encoding = major == SF_FORMAT_OGG ? "vorbis" : "pcm16";
  int sub;
  if (strcmp(encoding, "pcm16") == 0) sub = SF_FORMAT_PCM_16;
  else if (strcmp(encoding, "pcm24") == 0) sub = SF_FORMAT_PCM_24;
  else if (strcmp(encoding, "float") == 0) sub = SF_FORMAT_FLOAT;
  else if (strcmp(encoding, "vorbis") == 0) sub = SF_FORMAT_VORBIS;
  else
    return ae_fail(e, AE_EARG, "audio write %s: unknown encoding '%s' (pcm16, pcm24, float, vorbis)", path, encoding);
  SF_INFO probe = {.samplerate = 8000, .channels = 1, .format = major | sub};
  if (!sf_format_check(&probe))
    return ae_fail(e, AE_EARG, "audio write %s: a %s file cannot hold %s samples (WAV: pcm16, pcm24, float; "
                   "FLAC: pcm16, pcm24; Ogg: vorbis)", path, dot + 1, encoding);
  *format = major | sub;
  return AE_OK;
}

int ae_audio_write(const char *path, const ae_tensor_t *x, int rate, const char *encoding, ae_error_t *e) {
  if (x->ndim != 1 && x->ndim != 2) {
    char s[64];
    return ae_fail_shape(e, "audio write %s: samples %s must be [N] or [N×channels]", path,
                         ae_tensor_shape_str(x, s, sizeof s));
  }
  int N = x->shape[0], C = x->ndim == 2 ? x->shape[1] : 1;
  if (N < 1 || C < 1 || C > 64)
    return ae_fail_shape(e, "audio write %s: %d frames of %d channels (needs at least one frame, 1 to 64 "
                         "channels)", path, N, C);
  if (rate < 1 || rate > 1000000) return ae_fail(e, AE_EARG, "audio write %s: rate %d Hz is out of range", path, rate);
  int format = 0;
  if (write_format(path, encoding, &format, e)) return e ? e->code : AE_EARG;
  int sub = format & SF_FORMAT_SUBMASK;
  SF_INFO si = {.samplerate = rate, .channels = C, .format = format};
  if (!sf_format_check(&si))
    return ae_fail(e, AE_EARG, "audio write %s: %d channels at %d Hz cannot be stored in this format", path, C, rate);
  ae_file_t f;
  if (ae_file_begin(&f, path, e)) return e ? e->code : AE_EIO;
  SNDFILE *sf = sf_open_fd(fileno(f.fp), SFM_WRITE, &si, SF_FALSE);
  if (!sf) {
    ae_fail(e, AE_EIO, "cannot write %s: %s", path, sf_strerror(NULL));
    ae_file_abort(&f);
    return AE_EIO;
  }
  const float *src = ae_tensor_data(x);
  size_t n = (size_t)N * (size_t)C;
  sf_count_t put = 0;
  if (sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_24) {
    int *ibuf = malloc(sizeof(int) * n);
    if (!ibuf) {
      sf_close(sf);
      ae_file_abort(&f);
      return ae_fail(e, AE_ENOMEM, "audio write %s: out of memory for %d frames", path, N);
    }
    /* round to the file's precision first, so s/32768 comes back as s */
    double q = sub == SF_FORMAT_PCM_16 ? 32768.0 : 8388608.0, step = INT_SCALE / q;
    for (size_t i = 0; i < n; i++) {
      double v = nearbyint((double)src[i] * q);
      if (v > q - 1) v = q - 1;
      if (v < -q) v = -q;
      if (isnan(v)) v = 0;
      ibuf[i] = (int)(v * step);
    }
    put = sf_writef_int(sf, ibuf, N);
    free(ibuf);
  } else {
    put = sf_writef_float(sf, src, N);
  }
  int err = sf_error(sf);
  char why[256];
  snprintf(why, sizeof why, "%s", err ? sf_strerror(sf) : "");
  if (sf_close(sf) != 0 && !err) {
    err = 1;
    snprintf(why, sizeof why, "closing it failed");
  }
  if (put != N || err) {
    ae_file_abort(&f);
    return ae_fail(e, AE_EIO, "cannot write %s: %s", path, err ? why : "not every frame was written");
  }
  return ae_file_commit(&f, e);
}

ae_tensor_t *ae_audio_resample(const ae_tensor_t *x, double from, double to, ae_error_t *e) {
  if (x->ndim != 1 && x->ndim != 2) {
    char s[64];
    ae_fail_shape(e, "resample: samples %s must be [N] or [N×channels]", ae_tensor_shape_str(x, s, sizeof s));
    return NULL;
  }
  if (!(from > 0) || !(to > 0) || from > 1e7 || to > 1e7) {
    ae_fail(e, AE_EARG, "resample: rates %g → %g Hz must be positive", from, to);
    return NULL;
  }
  int N = x->shape[0], C = x->ndim == 2 ? x->shape[1] : 1;
  double out_n = ceil((double)N * to / from);
  if (out_n > INT_MAX / C || out_n < 1) {
    ae_fail(e, AE_EARG, "resample: %d frames at %g → %g Hz gives %.0f frames", N, from, to, out_n);
    return NULL;
  }
  int shape[2] = {(int)out_n, C};
  ae_tensor_t *y = ae_tensor_new(x->ndim, shape, e);
  if (!y) return NULL;
  size_t done = 0;
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t err = soxr_oneshot(from, to, (unsigned)C, ae_tensor_data(x), (size_t)N, NULL, ae_tensor_data(y),
                                  (size_t)out_n, &done, &io, &q, NULL);
  if (err) {
    ae_tensor_free(y);
    ae_fail(e, AE_EARG, "resample %g → %g Hz: libsoxr says %s", from, to, soxr_strerror(err));
    return NULL;
  }
  if (done < (size_t)out_n) { /* soxr may give one frame fewer: keep the length the rates imply */
    ae_tensor_t *v = ae_tensor_narrow(y, 0, done > 0 ? (int)done : 1, e);
    ae_tensor_t *c = v ? ae_tensor_clone(v, e) : NULL;
    ae_tensor_free(v);
    ae_tensor_free(y);
    y = c;
  }
  return y;
}
