# aelab — plain GNU make.
#
#   make            build ./aelab
#   make demo       install missing Debian packages, build, run lesson 01
#   make test       install missing Debian packages, build, run the whole suite
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make debug      ./aelab without optimization
#   make bench      aelab against PyTorch on the lesson-01 model
#   make bench-conv aelab against PyTorch on lesson 08's convolutional model
#   make clean
#
# Knobs: CC, OPT (optimization flags), BLIS_INC/BLIS_LIB (Debian's OpenMP build
# of BLIS; the pthread build was erratic on small shapes here).

CC       ?= gcc
OPT      ?= -O3
BLIS_INC ?= /usr/include/x86_64-linux-gnu/blis-openmp
BLIS_LIB ?= /usr/lib/x86_64-linux-gnu/blis-openmp
LUA_INC  ?= /usr/include/lua5.4

# Warnings: everything common plus prototypes, so a missing `static` shows.
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS = -D_GNU_SOURCE -Icore -isystem $(BLIS_INC) -isystem $(LUA_INC)
CFLAGS   = -std=c11 $(OPT) -g -fopenmp $(WARN) -MMD -MP
# BLIS linked statically: only libblis.a exports the per-arch context
# initializers (bli_cntx_init_skx/zen3) that core/blas.c uses. LAPACK (PCA's
# ssyevr) is libflame's, static too, so its BLAS calls land in that libblis.a.
LDLIBS   = -l:libflame.a $(BLIS_LIB)/libblis.a -llua5.4 -lreadline -lz -lm -lpthread -fopenmp

BUILD   ?= build
BIN     ?= aelab
CORE     = $(wildcard core/*.c)
GLUE     = $(wildcard bindings/*.c)
OBJ      = $(patsubst %.c,$(BUILD)/%.o,$(CORE) $(GLUE))

.PHONY: all deps demo test test-asan debug bench bench-conv clean

all: $(BIN)

$(BIN): $(OBJ)
	$(CC) -o $@ $(OBJ) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

deps:
	@scripts/install-deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) lessons/01_undercomplete.lua

test: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) tests/run.lua

# Sanitized build in its own folder and binary, so it never mixes with the fast one.
test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=aelab-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDLIBS="$(LDLIBS) -fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1 AELAB_BIN=./aelab-asan ./aelab-asan tests/run.lua

debug:
	@$(MAKE) --no-print-directory BUILD=build-debug OPT="-O0" all

bench: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh dense $(BENCH_ARGS)

bench-conv: deps
	@$(MAKE) --no-print-directory all
	scripts/bench.sh conv $(BENCH_ARGS)

clean:
	rm -rf build build-asan build-debug aelab aelab-asan

-include $(OBJ:.o=.d)

# The element-wise kernels: without trapping math GCC may if-convert and
# vectorize them; NaN and Inf still behave (no -ffinite-math-only).
$(BUILD)/core/vmath.o: CFLAGS += -fno-trapping-math -fno-math-errno
# The direct convolution's tiles: ISO C mode leaves a·b + c as two
# roundings; contracted, they are fused multiply-adds.
$(BUILD)/core/conv_direct.o: CFLAGS += -ffp-contract=fast
# Max-pooling's selects need it too to become vector blends.
$(BUILD)/core/maxpool2d.o: CFLAGS += -fno-trapping-math
