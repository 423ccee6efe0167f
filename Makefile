# aelab — plain GNU make.
#
#   make            build ./aelab
#   make demo       install missing Debian packages, build, run lesson 01
#   make docs       the API reference, build/docs/index.html (scripts/docs.lua:
#                   ae.help's text, from the code's comments, rendered by LDoc)
#   make test       install missing Debian packages, build, run the whole suite
#                   (the C tests first, then LuaUnit; one summary line)
#   make check      build and run only the C tests (tests/c, no Lua)
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-fuzz  build every tests/fuzz/fuzz_*.c with libFuzzer (clang) and
#                   run each for FUZZ_SECONDS (60) on tests/fuzz/corpus/<name>/
#   make debug      ./aelab without optimization
#   make MPI=1      ./aelab with Open MPI, for data-parallel fit under mpirun
#   make aelab-mpi  the same beside the plain ./aelab (only bindings/lmpi.c differs)
#   make bench      aelab against PyTorch on the lesson-01 model
#   make bench-conv aelab against PyTorch on lesson 08's convolutional model
#   make bench-vae  aelab against PyTorch on the course's VAE (issue 11)
#   make bench-classifier  aelab against PyTorch on lesson 10's fine-tuned
#                   classifier (pretrained 784-256-64-10 on 1,000 MNIST labels)
#   make bench-optim the full-batch optimizers (LBFGS, CG, Powell) against
#                   scipy.optimize.minimize on the letters and an MNIST AE
#   make bench-images aelab against PyTorch on lesson 13's conv model, 3×64×64 crops
#   make clean
#   make pot        refresh the message templates po/aelab.pot and po/lessons/*.pot
#                   from the sources (xgettext), then msgmerge them into every .po;
#                   make pot LESSONS=05_denoising: that lesson's files only
#
# Knobs: CC, OPT (optimization flags), BLIS_INC/BLIS_LIB (Debian's OpenMP build
# of BLIS; the pthread build was erratic on small shapes here), WERROR=1
# (warnings are errors: the default when CI=true, and .ci/run sets it; objects
# built without it are not rebuilt, so start from make clean), SANITIZE
# (compile and link flags for sanitizers; test-asan sets it), MPI=1 (link Open
# MPI: fit{distributed = true} under mpirun; packages openmpi-bin, libopenmpi-dev).

CC       ?= gcc
OPT      ?= -O3
BLIS_INC ?= /usr/include/x86_64-linux-gnu/blis-openmp
BLIS_LIB ?= /usr/lib/x86_64-linux-gnu/blis-openmp
LUA_INC  ?= /usr/include/lua5.4

# Warnings: everything common plus prototypes, so a missing `static` shows.
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter
WERROR  ?= $(if $(filter true,$(CI)),1,0)
ifeq ($(WERROR),1)
WARN    += -Werror
endif
SANITIZE ?=
CPPFLAGS = -D_GNU_SOURCE -Icore -isystem $(BLIS_INC) -isystem $(LUA_INC)
CFLAGS   = -std=c11 $(OPT) $(SANITIZE) -g -fopenmp $(WARN) -MMD -MP
LDFLAGS  = $(SANITIZE)
# BLIS linked statically: only libblis.a exports the per-arch context
# initializers (bli_cntx_init_skx/zen3) that core/blas.c uses. LAPACK (PCA's
# ssyevr) is libflame's, static too, so its BLAS calls land in that libblis.a.
# libsndfile (sound files), libsoxr (resampling) and FFTW's single-precision
# library (the STFT) serve core/audio.c and core/stft.c. The full-batch
# optimizers' libraries (core/minimize.c) are linked dynamically, as zlib
# is: libLBFGS, NLopt, GSL (with its own CBLAS; GSL's CG only needs level-1
# BLAS). Images: libpng16 and libturbojpeg (core/image.h says why those).
# CORE_LIBS is what the core needs; the host adds Lua, readline and chafa
# (bindings/lterm.c: figures drawn in the terminal; chafa's API is GLib's,
# so its headers need GLib's, taken as system headers).
OPT_LIBS  = -llbfgs -lnlopt -lgsl -lgslcblas
SND_LIBS  = -lsndfile -lsoxr -lfftw3f
IMG_LIBS  = -lpng16 -lturbojpeg
CORE_LIBS = -l:libflame.a $(BLIS_LIB)/libblis.a $(SND_LIBS) $(OPT_LIBS) $(IMG_LIBS) -lz -lm -lpthread -fopenmp
CHAFA_INC ?= -isystem /usr/include/chafa -isystem /usr/lib/x86_64-linux-gnu/chafa/include \
  -isystem /usr/include/glib-2.0 -isystem /usr/lib/x86_64-linux-gnu/glib-2.0/include
LDLIBS   = -l:libflame.a $(BLIS_LIB)/libblis.a $(SND_LIBS) $(OPT_LIBS) $(IMG_LIBS) -llua5.4 -lreadline -lchafa -lglib-2.0 -lz -lm -lpthread -fopenmp

BUILD   ?= build
BIN     ?= aelab
CORE     = $(wildcard core/*.c)
GLUE     = $(wildcard bindings/*.c)
OBJ      = $(patsubst %.c,$(BUILD)/%.o,$(CORE) $(GLUE))

# The C tests: tests/c/*.c linked with a second build of the core in which
# tests/c/failalloc.h (force-included) routes the core's own malloc & co. to
# a counting allocator that can fail the k-th allocation. BLIS, zlib and
# libc keep the real one.
CHECK_BIN  = $(BUILD)/check
FAILALLOC  = tests/c/failalloc.h
CHECK_CORE = $(patsubst %.c,$(BUILD)/failalloc/%.o,$(CORE))
CHECK_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/c/*.c))

# A full or read-only disk for the tests, LD_PRELOADed into a lesson
# (tests/preload/enospc.c says how). Never sanitized: it is loaded into
# plain programs (gnuplot) as well.
SHIM       = $(BUILD)/libenospc.so

.PHONY: all pot deps demo docs test check check-bin test-asan test-fuzz fuzz-bin debug bench bench-conv bench-vae bench-classifier bench-optim bench-images clean FORCE

# Messages (README "Languages"): po/<ll>.po translates the framework
# (bindings/aelab, plots, the core's shape errors), po/lessons/<lesson>.<ll>.po one lesson each, so
# people converting different lessons never edit the same file. For each
# language in po/LINGUAS they are checked (scripts/po.sh: any msgfmt warning
# fails), concatenated (framework first) and compiled into
# $(BUILD)/locale/<ll>/LC_MESSAGES/aelab.mo, which the host finds beside
# itself. English is the msgids: no catalogue.
LINGUAS  = $(shell sed 's/\#.*//' po/LINGUAS)
MO       = $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/aelab.mo,$(LINGUAS))
.SECONDEXPANSION:
$(BUILD)/locale/%/LC_MESSAGES/aelab.mo: po/%.po $$(wildcard po/lessons/*.$$*.po) scripts/po.sh po/LINGUAS
	@scripts/po.sh compile $* $@

all: $(BIN) $(MO)

# make pot: every template and catalogue; make pot LESSONS="05_denoising"
# only those lessons' (po/lessons/<lesson>.pot and .<ll>.po, created if new).
pot:
	scripts/po.sh pot $(LESSONS)

# MPI: only bindings/lmpi.c is compiled differently (-DAE_MPI, Open MPI's
# headers as system headers), so an MPI host is the plain objects, that one
# object and -lmpi. $(BUILD)/mpi-setting holds the last MPI value: changing
# it relinks the host.
MPI       ?= 0
MPI_CFLAGS = $(patsubst -I%,-isystem %,$(shell mpicc --showme:compile 2>/dev/null))
MPI_LIBS   = $(shell mpicc --showme:link 2>/dev/null)
MPI_OBJ    = $(BUILD)/mpi/bindings/lmpi.o
HOST_OBJ   = $(filter-out $(BUILD)/bindings/lmpi.o,$(OBJ))
ifeq ($(MPI),1)
BIN_OBJ    = $(HOST_OBJ) $(MPI_OBJ)
BIN_LIBS   = $(LDLIBS) $(MPI_LIBS)
else
BIN_OBJ    = $(OBJ)
BIN_LIBS   = $(LDLIBS)
endif

$(BIN): $(BIN_OBJ) $(BUILD)/mpi-setting
	$(CC) $(LDFLAGS) -o $@ $(BIN_OBJ) $(BIN_LIBS)

$(BUILD)/mpi-setting: FORCE
	@mkdir -p $(BUILD)
	@echo $(MPI) | cmp -s - $@ || echo $(MPI) > $@

$(MPI_OBJ): bindings/lmpi.c
	@command -v mpicc >/dev/null || { echo "MPI=1 needs Open MPI: apt-get install openmpi-bin libopenmpi-dev (or scripts/install-deps.sh openmpi-bin libopenmpi-dev)"; exit 2; }
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DAE_MPI $(MPI_CFLAGS) $(CFLAGS) -c -o $@ $<

aelab-mpi: $(HOST_OBJ) $(MPI_OBJ)
	$(CC) $(LDFLAGS) -o $@ $(HOST_OBJ) $(MPI_OBJ) $(LDLIBS) $(MPI_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/failalloc/%.o: %.c $(FAILALLOC)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -include $(FAILALLOC) -c -o $@ $<

$(SHIM): tests/preload/enospc.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g -fPIC -shared $(WARN) -o $@ $< -ldl

$(CHECK_BIN): $(CHECK_CORE) $(CHECK_OBJ)
	$(CC) $(LDFLAGS) -o $@ $(CHECK_OBJ) $(CHECK_CORE) $(CORE_LIBS)

check-bin: $(CHECK_BIN)

check:
	@$(MAKE) --no-print-directory check-bin
	./$(CHECK_BIN)

deps:
	@scripts/install-deps.sh $(if $(filter 1,$(MPI)),openmpi-bin libopenmpi-dev)

demo: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) lessons/01_undercomplete.lua

docs: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) scripts/docs.lua $(BUILD)/docs

# tests/run.lua runs the C binary named by AELAB_CHECK_BIN first and adds its
# counts to the final "N passed, N failed" line. The suite expects English
# whatever the locale (tests/test_i18n.lua picks its languages itself).
test: deps
	@$(MAKE) --no-print-directory all check-bin $(SHIM)
	AELAB_LANG=en AELAB_CHECK_BIN=$(CHECK_BIN) AELAB_SHIM=$(SHIM) ./$(BIN) tests/run.lua

# Sanitized build in its own folder and binaries, so it never mixes with the fast one.
ASAN_VARS = BUILD=build-asan BIN=aelab-asan OPT="-O1 -fno-omit-frame-pointer" \
  SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
test-asan: deps
	@$(MAKE) --no-print-directory $(ASAN_VARS) all check-bin build-asan/libenospc.so
	AELAB_LANG=en ASAN_OPTIONS=detect_leaks=1 AELAB_BIN=./aelab-asan AELAB_CHECK_BIN=build-asan/check \
	  AELAB_SHIM=build-asan/libenospc.so ./aelab-asan tests/run.lua

# Fuzzing: each tests/fuzz/fuzz_<name>.c is a libFuzzer harness linked with
# the core files it needs (FUZZ_CORE, compiled by clang with the same
# sanitizers; the rest of the core is not built: clang 14 does not know all
# of GCC's target names) and runs on the seeds in tests/fuzz/corpus/<name>/
# (read-only: new inputs go to a scratch folder, so the corpus stays small).
# FUZZ_SECONDS per harness; a crash leaves crash-* in build-fuzz/ and fails.
# A harness that needs more of the core adds its files to FUZZ_CORE (clang
# 14 refuses conv_direct.c's __builtin_cpu_supports("x86-64-v4")).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=c11 -g -O1 -fno-omit-frame-pointer -fopenmp -Wall -Wextra -Wno-unused-parameter \
  -Wno-unknown-pragmas $(FUZZ_SAN)
FUZZ_CORE     = $(patsubst %,build-fuzz/core/%.o,ae file idx tensor blas vmath safetensors image imgops rng)
FUZZ_BINS     = $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIBS     = $(BLIS_LIB)/libblis.a -lpng16 -lturbojpeg -lz -lm -lpthread -fopenmp

build-fuzz/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build-fuzz/%: tests/fuzz/%.c $(FUZZ_CORE)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_CORE) $(FUZZ_LIBS)

.SECONDARY: $(FUZZ_CORE)
fuzz-bin: $(FUZZ_BINS)

test-fuzz:
	@scripts/install-deps.sh clang
	@command -v $(FUZZ_CC) >/dev/null || { echo "test-fuzz needs clang: sudo apt-get install clang"; exit 2; }
	@$(MAKE) --no-print-directory fuzz-bin
	@set -e; for b in $(FUZZ_BINS); do n=$${b#build-fuzz/fuzz_}; \
	  rm -rf build-fuzz/new-$$n; mkdir -p build-fuzz/new-$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS) s on tests/fuzz/corpus/$$n"; \
	  $$b -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ \
	    -print_final_stats=1 build-fuzz/new-$$n tests/fuzz/corpus/$$n 2>&1 | \
	    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|INFO: Seed|Done)' || true; \
	  if ls build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* build-fuzz/oom-* >/dev/null 2>&1; then \
	    echo "test-fuzz: $$n found a crash (build-fuzz/crash-*, oom-*, ...)"; exit 1; fi; \
	done; echo "test-fuzz: no crash"

debug:
	@$(MAKE) --no-print-directory BUILD=build-debug OPT="-O0" all

bench: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh dense $(BENCH_ARGS)

bench-vae: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh vae $(BENCH_ARGS)

bench-classifier: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh classifier $(BENCH_ARGS)

bench-conv: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh conv $(BENCH_ARGS)

bench-optim: deps
	@$(MAKE) --no-print-directory all
	@. scripts/need-python.sh && need_python scipy python3-scipy python3-numpy
	./$(BIN) scripts/bench-optim.lua $(BENCH_ARGS)

bench-images: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh images $(BENCH_ARGS)

clean:
	rm -rf build build-asan build-debug build-fuzz aelab aelab-asan aelab-mpi

-include $(OBJ:.o=.d) $(MPI_OBJ:.o=.d) $(CHECK_CORE:.o=.d) $(CHECK_OBJ:.o=.d)

# Per-file flags, for the host's core and the C tests' copy alike.
# The element-wise kernels: without trapping math GCC may if-convert and
# vectorize them; NaN and Inf still behave (no -ffinite-math-only).
%/core/vmath.o: CFLAGS += -fno-trapping-math -fno-math-errno
# The direct convolution's tiles: ISO C mode leaves a·b + c as two
# roundings; contracted, they are fused multiply-adds.
%/core/conv_direct.o: CFLAGS += -ffp-contract=fast
# Max-pooling's selects need it too to become vector blends.
%/core/maxpool2d.o: CFLAGS += -fno-trapping-math
# And Conv2D's fused ReLU (its output and its mask on the gradient).
%/core/conv2d.o: CFLAGS += -fno-trapping-math
# The host looks for the catalogues in its own build folder.
%/bindings/main.o: CPPFLAGS += -DAE_BUILD_DIR=\"$(BUILD)\"
# chafa's and GLib's headers, for the one file that uses them.
%/bindings/lterm.o: CPPFLAGS += $(CHAFA_INC)
