# Makefile — builds coffer and runs its tests. One non-recursive makefile; every build product
# lives under build/: the binary at build/coffer, the sanitizer build under build/asan/, the
# fuzzers under build/fuzz/.
#
#   make          build build/coffer
#   make run      install what is missing, build, serve the demo at https://127.0.0.1:8443
#   make test     install what is missing, build everything, run every suite
#   make fuzz     run each fuzzer for FUZZ_SECONDS (default 60)
#   make bench    run the benchmarks, write bench/results/latest.md
#   make profile  where a read's and a create's CPU goes, stage by stage (perf on a build with
#                 frame pointers), written to bench/results/latest-stages.md
#   make cluster  start a highly available cluster on this machine (scripts/cluster.sh up
#                 $(CLUSTER_DIR)); `scripts/cluster.sh down $(CLUSTER_DIR)` stops it
#   make install  install build/coffer, the systemd unit, the man pages and an example
#                 coffer.conf under PREFIX (default /usr/local), below DESTDIR if given

.SUFFIXES:
.DELETE_ON_ERROR:
.PHONY: all asan unit pgtests s3tests fuzzers run test fuzz bench profile cluster deps test-deps \
        bench-deps cluster-deps clean format install

PKGS := libmicrohttpd gnutls libcrypto jansson libsodium liboath libqrencode sqlite3 libseccomp \
        libzip libpq libcurl expat libcbor
# Recursive (=) so pkg-config runs only when a recipe needs it, after the deps are installed.
# p11-kit gives only the PKCS#11 header: modules are loaded with dlopen (src/hsm/p11.c).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) p11-kit-1)
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread

CC ?= cc
WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla -Wstrict-prototypes -Wpointer-arith \
        -Wcast-qual -Wundef
BASE_CFLAGS = -std=c17 $(WARN) -D_GNU_SOURCE -Isrc -fstack-protector-strong -fPIE -MMD -MP \
              $(PKG_CFLAGS)
REL_CFLAGS = $(BASE_CFLAGS) -O2 -g -D_FORTIFY_SOURCE=2
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS = $(BASE_CFLAGS) -O1 -g $(SAN)
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now

SRC := $(sort $(wildcard src/*.c src/*/*.c src/*/*/*.c))
# Assembler files only embed data files in the binary (.incbin), e.g. the common-password list.
ASM_SRC := $(sort $(wildcard src/*/*.S))
LIB_SRC := $(filter-out src/main.c,$(SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# The web application (web/) is embedded too: scripts/gen-web-assets.sh writes its table (C) and
# its bytes (.incbin) under build/gen/, compiled into every build like the sources above.
WEB_FILES := $(sort $(shell find web -type f ! -name '.*' 2>/dev/null))
WEB_DIRS := $(sort $(shell find web -type d 2>/dev/null))
GEN_SRC := build/gen/web_assets.c
GEN_ASM := build/gen/web_assets_data.S

REL_LIB_OBJ := $(LIB_SRC:%.c=build/obj/%.o) $(ASM_SRC:%.S=build/obj/%.o) \
               $(GEN_SRC:%.c=build/obj/%.o) $(GEN_ASM:%.S=build/obj/%.o)
ASAN_LIB_OBJ := $(LIB_SRC:%.c=build/asan/obj/%.o) $(ASM_SRC:%.S=build/obj/%.o) \
                $(GEN_SRC:%.c=build/asan/obj/%.o) $(GEN_ASM:%.S=build/obj/%.o)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o) $(ASM_SRC:%.S=build/obj/%.o) \
                $(GEN_SRC:%.c=build/fuzz/obj/%.o) $(GEN_ASM:%.S=build/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

all: build/coffer

# Quiet by default; `make V=1` shows the commands.
Q := $(if $(V),,@)

# --- the embedded web application ---------------------------------------------------------
# The directories are prerequisites so that adding or removing a file regenerates the table.
# The script rewrites an output only when it changes.
$(GEN_SRC) $(GEN_ASM) build/gen/web/index.html &: scripts/gen-web-assets.sh $(WEB_FILES) \
                                                $(WEB_DIRS)
	@echo "  GEN     build/gen/web_assets"
	$(Q)sh scripts/gen-web-assets.sh build/gen

# .incbin is invisible to -MMD: the data object depends on every file it embeds.
build/obj/build/gen/web_assets_data.o: $(WEB_FILES) build/gen/web/index.html

# --- release build -----------------------------------------------------------------------
# Embedded data: the same object serves every build (it holds no code).
build/obj/%.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $@"
	$(Q)$(CC) -c -Isrc -MMD -MP $< -o $@

build/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(REL_CFLAGS) -c $< -o $@

build/libcoffer.a: $(REL_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/coffer: build/obj/src/main.o build/libcoffer.a
	@echo "  LD      $@"
	$(Q)$(CC) $(REL_CFLAGS) $(HARDEN_LDFLAGS) $^ $(PKG_LIBS) -o $@

# --- the profiling build: the release build with frame pointers, for perf ---------------------
# (bench/profile_stages.py; `make profile`), and with every call a frame of its own (no sibling
# calls), so that the store's dispatch shows in a stack. perf unwinds the libraries, built
# without frame pointers, from their .eh_frame (--call-graph dwarf).
PROF_CFLAGS = $(REL_CFLAGS) -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
              -fno-optimize-sibling-calls
PROF_LIB_OBJ := $(LIB_SRC:%.c=build/profile/obj/%.o) $(ASM_SRC:%.S=build/obj/%.o) \
                $(GEN_SRC:%.c=build/profile/obj/%.o) $(GEN_ASM:%.S=build/obj/%.o)

build/profile/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(PROF_CFLAGS) -c $< -o $@

build/profile/coffer: build/profile/obj/src/main.o $(PROF_LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(PROF_CFLAGS) $(HARDEN_LDFLAGS) $^ $(PKG_LIBS) -o $@

# --- AddressSanitizer + UndefinedBehaviorSanitizer build ----------------------------------
build/asan/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/asan/libcoffer.a: $(ASAN_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/asan/coffer: build/asan/obj/src/main.o build/asan/libcoffer.a
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $(HARDEN_LDFLAGS) $^ $(PKG_LIBS) -o $@

build/asan/tests/%: tests/unit/%.c build/asan/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -Itests/unit $< build/asan/libcoffer.a $(PKG_LIBS) -lcmocka \
	  $(UNIT_LDFLAGS) -o $@

# The allocation-failure test routes every allocation of coffer's code through its own wrappers.
# private: a target-specific variable is otherwise inherited by the target's prerequisites
# (build/asan/libcoffer.a and every object in it), which have no business with these flags.
build/asan/tests/test_alloc_failure: private UNIT_LDFLAGS := \
  -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup

# The C side of the cross-implementation check (tests/vectors/test_crosscheck.py drives it against
# python3-cryptography).
build/asan/tests/crosscheck: tests/vectors/crosscheck.c build/asan/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $< build/asan/libcoffer.a $(PKG_LIBS) -o $@

# The PostgreSQL store's checks against a real server (tests/e2e/test_pg_pool.py and
# test_pg_schema.py start one and drive these programs, tests/pg/*_check.c). Not under
# build/asan/tests/: tests/run_all.py runs every test_* there with no server.
PG_CHECK_BIN := $(patsubst tests/pg/%.c,build/asan/tests-pg/%,$(wildcard tests/pg/*_check.c))
build/asan/tests-pg/%: tests/pg/%.c tests/pg/pg_check.h tests/check_tap.h build/asan/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $< build/asan/libcoffer.a $(PKG_LIBS) -o $@

# The S3 client's checks against a real object store (tests/e2e/test_s3_client.py starts
# OpenStack Swift with s3api and drives tests/s3/s3_check.c). Not under build/asan/tests/ either.
S3_CHECK_BIN := $(patsubst tests/s3/%.c,build/asan/tests-s3/%,$(wildcard tests/s3/*_check.c))
build/asan/tests-s3/%: tests/s3/%.c tests/check_tap.h build/asan/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $< build/asan/libcoffer.a $(PKG_LIBS) -o $@

asan: build/asan/coffer
unit: $(UNIT_BIN) build/asan/tests/crosscheck
pgtests: $(PG_CHECK_BIN)
s3tests: $(S3_CHECK_BIN)

# --- libFuzzer targets (clang) -------------------------------------------------------------
FUZZ_CC := clang
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (the libFuzzer/OSS-Fuzz convention) is defined for
# build/fuzz/ only: keyd then hashes passwords at Argon2id's minimum cost (src/keyd/hash_gate.c),
# so that the fuzzer is not held to ten identity requests a second. Never in build/coffer.
FUZZ_CFLAGS = $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=all -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

build/fuzz/libcoffer.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< build/fuzz/libcoffer.a $(PKG_LIBS) -o $@

fuzzers: $(FUZZ_BIN)

# --- benchmarks (release flags) ------------------------------------------------------------
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

build/bench/%: bench/%.c build/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(REL_CFLAGS) $(HARDEN_LDFLAGS) $< build/libcoffer.a $(PKG_LIBS) -o $@

# --- front-door targets --------------------------------------------------------------------
deps:
	@sh scripts/install-deps.sh build

test-deps:
	@sh scripts/install-deps.sh test

DEMO := var/demo
run: deps
	@$(MAKE) --no-print-directory build/coffer
	@sh scripts/demo.sh $(DEMO)

# The browser tests' one npm dependency (playwright-core, pinned by package-lock.json).
BROWSER_MODULES := tests/browser/node_modules/playwright-core/package.json
$(BROWSER_MODULES): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

test: test-deps
	@$(MAKE) --no-print-directory build/coffer build/asan/coffer unit pgtests s3tests fuzzers \
	  $(BROWSER_MODULES)
	@/usr/bin/python3 tests/run_all.py

bench-deps:
	@sh scripts/install-deps.sh bench

# etcd, three PostgreSQL under Patroni, HAProxy, Swift and two coffer nodes on 127.0.0.1
# (docs/DEPLOY.md, "On one machine"); prints one line of JSON that describes them.
CLUSTER_DIR ?= /tmp/coffer-cluster
cluster-deps:
	@sh scripts/install-deps.sh cluster

cluster: cluster-deps
	@$(MAKE) --no-print-directory build/coffer
	@scripts/cluster.sh up $(CLUSTER_DIR)

bench: bench-deps
	@$(MAKE) --no-print-directory build/coffer build/profile/coffer $(BENCH_BIN)
	@/usr/bin/python3 bench/run.py

# Where a read's and a create's CPU goes, stage by stage, under load (perf on the profiling
# build): writes bench/results/latest-stages.md.
profile: bench-deps
	@$(MAKE) --no-print-directory build/profile/coffer
	@/usr/bin/python3 bench/profile_stages.py

FUZZ_SECONDS ?= 60
fuzz: test-deps
	@$(MAKE) --no-print-directory fuzzers
	@for f in $(FUZZ_BIN); do \
	  n=$${f##*/}; mkdir -p build/fuzz/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus/$$n \
	    tests/fuzz/corpus/$$n || exit 1; \
	done

# --- installing -----------------------------------------------------------------------------
# systemd looks for units under /usr/local/lib/systemd/system and /usr/lib/systemd/system alike,
# so the unit goes under PREFIX too; its ExecStart names the binary installed here.
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
UNITDIR = $(PREFIX)/lib/systemd/system
MANDIR = $(PREFIX)/share/man
DOCDIR = $(PREFIX)/share/doc/coffer
install: build/coffer packaging/coffer.service packaging/coffer.conf.example man/coffer.1 \
         man/coffer.conf.5
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
	install -m 0755 build/coffer $(DESTDIR)$(BINDIR)/coffer
	sed 's|^ExecStart=/usr/local/bin/coffer |ExecStart=$(BINDIR)/coffer |' \
	  packaging/coffer.service > $(DESTDIR)$(UNITDIR)/coffer.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/coffer.service.tmp
	mv $(DESTDIR)$(UNITDIR)/coffer.service.tmp $(DESTDIR)$(UNITDIR)/coffer.service
	install -m 0644 man/coffer.1 $(DESTDIR)$(MANDIR)/man1/coffer.1
	install -m 0644 man/coffer.conf.5 $(DESTDIR)$(MANDIR)/man5/coffer.conf.5
	install -m 0644 packaging/coffer.conf.example $(DESTDIR)$(DOCDIR)/coffer.conf.example

format:
	find src tests -name "*.[ch]" -not -path "*/node_modules/*" | xargs clang-format -i

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# .incbin is invisible to -MMD: name the embedded data file by hand.
build/obj/src/signin/common_passwords_data.o: data/common-passwords-top100k.txt
