# SPDX-License-Identifier: MIT
# nettool - one binary, many network applets.
#
#   make              build ./nettool (installs missing Debian build packages when root)
#   make check        unit + integration (real servers on loopback) + docs tests; it also
#                     builds build/nettool-test, the binary that reads the test knobs
#   make asan-check   the same under AddressSanitizer and UBSan
#   make demo         start the timestamp servers on loopback and talk to them
#   make bench        side-by-side benchmarks against the peers (bench/)
#   make fuzz         build and run the libFuzzer harnesses for a bounded time; fails when one
#                     crashes (crash files: build-fuzz/artifacts/NAME/)
#   make torture      the fault injector over the integration scenarios (tests/torture/):
#                     a seeded sample of our calls made to fail in turn (ASan build);
#                     TORTURE_FULL=1 every call site; TORTURE_SCEN="ftp_put ..." some
#                     scenarios only; a small spread also runs in make check
#   make install PREFIX=/usr/local DESTDIR=
#   make deb          the Debian packages (debian/): nettool_*.deb and nettool-mta_*.deb here
#   make deb-check    build them, lintian, install/run/purge them in a throwaway Debian 12
#                     root (tests/deb/check.sh; CI runs it after make check)

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
PKGS      = libcurl openssl zlib
SAN      ?=
V        ?=
Q         = $(if $(V),,@)
FUZZ_SECS ?= 60
# DEPS_CHECK=no skips scripts/deps.sh (debian/rules: Build-Depends are checked there).
DEPS_CHECK ?= yes

# Compile on every processor (a -j on the command line wins).
MAKEFLAGS += -j$(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)

# Packages first: pkg-config must exist before we ask it anything (not for clean or deps).
ifeq ($(DEPS_CHECK),yes)
ifneq ($(if $(MAKECMDGOALS),$(filter-out clean deps,$(MAKECMDGOALS)),all),)
DEPS_OK := $(shell scripts/deps.sh build >&2 && echo yes)
ifneq ($(DEPS_OK),yes)
$(error missing build packages: see the message above (as root, 'make deps' installs them))
endif
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CHECK_LIBS  = $(shell pkg-config --libs check)

WARN    = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
WARN   += -Wno-format-truncation
endif
CFLAGS ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS  = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DNETTOOL_VERSION='"$(VERSION)"' -Iinclude $(WARN) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP
LIBS    = $(PKG_LIBS) -lpthread -lm

SRCS      := $(wildcard core/*.c) $(wildcard applets/*.c) $(wildcard applets/*/*.c)
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  := $(filter-out $(BUILD)/core/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/check_*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRCS := $(wildcard bench/*.c)
# The test build: the same objects, but core/knobs.c compiled with -DNETTOOL_TEST_KNOBS so
# that the test switches (include/knobs.h) are read; only that one file compiles twice.
TEST_OBJS := $(filter-out $(BUILD)/core/knobs.o,$(OBJS)) $(BUILD)/test/core/knobs.o

.PHONY: all deps check unit integration docs-check asan-check demo bench fuzz torture install deb deb-check clean
.DEFAULT_GOAL := all

all: nettool

# ./nettool points at the default build only: other BUILD folders (asan, fuzz) leave it alone.
ifeq ($(BUILD),build)
nettool: $(BUILD)/nettool
	@ln -sf $(BUILD)/nettool nettool
else
nettool: $(BUILD)/nettool
endif

$(BUILD)/nettool: $(OBJS)
	@echo "  LD  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/nettool-test: $(TEST_OBJS)
	@echo "  LD  $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TEST_OBJS) $(LIBS)

# The torture build: the same objects and the fault injector, our calls to these wrapped
# (ld --wrap: only our objects' calls, never libcurl's or OpenSSL's); see tests/torture/inject.c.
TORTURE_WRAP = malloc calloc realloc strdup strndup vasprintf open openat read write pread fsync fdatasync \
	syncfs rename renameat renameat2 link linkat unlink unlinkat mkdir mkdirat ftruncate fopen fdopen \
	fflush fclose fwrite connect send recv clock_gettime time gettimeofday
$(BUILD)/nettool-torture: $(OBJS) $(BUILD)/tests/torture/inject.o
	@echo "  LD  $@"
	$(Q)$(CC) $(LDFLAGS) $(foreach f,$(TORTURE_WRAP),-Wl,--wrap=$(f)) -o $@ $^ $(LIBS)

$(BUILD)/test/core/knobs.o: core/knobs.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (test build)"
	$(Q)$(CC) $(ALL_CFLAGS) -DNETTOOL_TEST_KNOBS -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The unit-test runner: every check_*.c defines `Suite *suite_NAME(void)`; the list is generated.
$(BUILD)/tests/unit/suites.h: $(UNIT_SRCS)
	@mkdir -p $(dir $@)
	@sed -n 's/^Suite \*\(suite_[a-z0-9_]*\)(void)$$/SUITE(\1)/p' $(UNIT_SRCS) | sort > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(BUILD)/tests/unit/runner.o: tests/unit/runner.c $(BUILD)/tests/unit/suites.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(BUILD)/tests/unit -c -o $@ $<

$(BUILD)/check_all: $(BUILD)/tests/unit/runner.o $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o $@ $< -lpthread -lm -lssl -lcrypto

deps:
	scripts/deps.sh all

unit: $(BUILD)/check_all
	CK_VERBOSITY=$${CK_VERBOSITY:-normal} $(BUILD)/check_all

integration: $(BUILD)/nettool $(BUILD)/nettool-test
	@scripts/deps.sh test
	NETTOOL=$(CURDIR)/$(BUILD)/nettool NETTOOL_TEST=$(CURDIR)/$(BUILD)/nettool-test tests/run.sh

docs-check: $(BUILD)/nettool
	NETTOOL=$(CURDIR)/$(BUILD)/nettool tests/docs/consistency.sh

# One summary line at the end: "N passed, N failed, N skipped".
check: $(BUILD)/nettool $(BUILD)/nettool-test $(BUILD)/check_all $(BUILD)/nettool-torture
	@scripts/deps.sh test
	@NETTOOL=$(CURDIR)/$(BUILD)/nettool NETTOOL_TEST=$(CURDIR)/$(BUILD)/nettool-test UNIT=$(CURDIR)/$(BUILD)/check_all SANITIZED=$(SAN) \
		NETTOOL_TORTURE=$(CURDIR)/$(BUILD)/nettool-torture \
		tests/run.sh --all

asan-check:
	$(MAKE) BUILD=build-asan SAN=1 check

demo: $(BUILD)/nettool
	@scripts/demo.sh $(BUILD)/nettool

bench: nettool $(BENCH_SRCS:%.c=$(BUILD)/%)
	@scripts/deps.sh bench
	NETTOOL=$(CURDIR)/$(BUILD)/nettool BENCHBIN=$(CURDIR)/$(BUILD)/bench bench/run.sh

# On the ASan/UBSan objects of asan-check (built once for both).
torture:
	@scripts/deps.sh test
	$(MAKE) BUILD=build-asan SAN=1 build-asan/nettool-torture
	NETTOOL_TORTURE=$(CURDIR)/build-asan/nettool-torture tests/torture/run.sh $(TORTURE_SCEN)

fuzz:
	@scripts/deps.sh bench
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=address,fuzzer-no-link" build-fuzz/.objs
	FUZZ_SECS=$(FUZZ_SECS) tests/fuzz/run.sh build-fuzz

$(BUILD)/.objs: $(LIB_OBJS)
	@touch $@

# A link per name of `nettool --list` (binary, completion, and a man page link NAME.1 to
# the applet's page, so that `man tcp-serve` works); sendmail's page is section 8, as the
# program it stands in for. debian/rules installs with this target too.
install: nettool
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/nettool $(DESTDIR)$(PREFIX)/bin/nettool
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	for a in $$($(BUILD)/nettool --list); do ln -sf nettool $(DESTDIR)$(PREFIX)/bin/$$a; \
		ln -sf nettool $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$a; \
		if [ -f man/nettool-$$a.1 ]; then ln -sf nettool-$$a.1 $(DESTDIR)$(PREFIX)/share/man/man1/$$a.1; fi; done
	ln -sf ../man1/nettool-mail-send.1 $(DESTDIR)$(PREFIX)/share/man/man8/sendmail.8
	install -m 644 completions/nettool.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/nettool

# The packages are built from a copy of the tree in build-deb/ (dpkg-buildpackage cleans
# and writes next to its source), then copied here; build-deb/debroot.tar, the cached
# Debian 12 root of deb-check, survives make clean.
deb:
	@scripts/deps.sh deb
	scripts/deb.sh build-deb

deb-check: deb
	tests/deb/check.sh build-deb

clean:
	rm -rf build build-asan build-fuzz nettool build-deb/nettool-* build-deb/*.deb build-deb/*.ddeb \
		build-deb/*.changes build-deb/*.buildinfo nettool_*.deb nettool-mta_*.deb

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(BUILD)/test/core/knobs.d
