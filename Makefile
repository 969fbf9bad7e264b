# seam — build, test, run, fuzz, bench.  `make help` lists the targets.
#
# Every .c under src/ is part of the binary; tests/unit/test_*.c each become
# one cmocka executable linked against the same sources (minus main) built
# with ASan and UBSan.

CC      ?= cc
PKGS    := libevent libevent_pthreads libcurl jansson yaml-0.1 sqlite3 libsodium
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
CFLAGS  ?= -O2 -g
SAN     := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS     := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/cli/main.c,$(SRCS))
OBJS     := $(SRCS:%.c=build/obj/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=build/san/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/unit/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all deps run test unit e2e fuzz bench lint clean help

all: build/seam

help:
	@echo "make run    install what is missing, build, serve seam.yaml (mock provider, offline)"
	@echo "make test   install what is missing, build, run unit (ASan/UBSan) and end-to-end tests"
	@echo "make fuzz   build libFuzzer targets into build/fuzz/"
	@echo "make bench  seam vs an nginx reverse proxy, same upstream, same run"

deps:
	@scripts/setup.sh

build/seam: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -MMD -MP -c -o $@ $<

# An archive, so that a test links only the modules it uses.
build/san/libseam.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

build/unit/%: tests/unit/%.c build/san/libseam.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -o $@ $< build/san/libseam.a $(LIBS) -lcmocka

run: deps build/seam
	@mkdir -p seam-data
	./build/seam serve --config seam.yaml

test: deps
	@$(MAKE) --no-print-directory build/seam unit e2e

# cmocka exits 0 when only a group setup or teardown failed: its output says so.
unit: $(UNIT_BINS)
	@failed=""; for t in $(UNIT_BINS); do echo "== $$t"; \
	  out=$$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./$$t 2>&1); rc=$$?; \
	  echo "$$out"; \
	  if [ $$rc -ne 0 ] || echo "$$out" | grep -q 'FAILED  \] GROUP'; then failed="$$failed $$t"; fi; \
	  done; \
	  if [ -n "$$failed" ]; then echo "unit tests failed:$$failed"; exit 1; fi

# One test file at a time where this Node knows the flag (20.10+); Debian 12's
# Node 18 runs them side by side, which the tests allow (each has its own ports).
NODE_TEST_FLAGS = $(shell node --test-concurrency=1 -e 0 >/dev/null 2>&1 && echo --test-concurrency=1)

e2e: build/seam
	cd tests/e2e && node --test $(NODE_TEST_FLAGS) *.test.mjs

FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined
FUZZ_OBJS  := $(LIB_SRCS:%.c=build/fuzzobj/%.o)

build/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(CFLAGS_BASE) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzzobj/libseam.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzzobj/libseam.a
	@mkdir -p $(dir $@)
	clang $(CFLAGS_BASE) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build/fuzzobj/libseam.a $(LIBS)

fuzz: $(FUZZ_BINS)

bench: deps build/seam
	bench/run.sh

lint:
	clang-format --dry-run --Werror $(SRCS) $(UNIT_SRCS) $(FUZZ_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --suppress=missingIncludeSystem -Isrc src

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
