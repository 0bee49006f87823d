# unikit: `make` builds bin/unikit and the kernel objects it links images from.
# `make demo` installs what is missing, builds, and boots examples/hello.
# `make test` runs every test; `make bench` the benchmarks.

PREFIX  ?= /usr/local
KARCHES ?= x86_64 aarch64

HOST_CC      ?= cc
HOST_CFLAGS  := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Ihost/lib -Ihost/cli
SAN_FLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

HOST_LIB_SRCS := $(wildcard host/lib/*.c)
HOST_CLI_SRCS := $(wildcard host/cli/*.c)
HOST_SRCS     := $(HOST_LIB_SRCS) $(HOST_CLI_SRCS) $(wildcard host/transfer/*.c)
HOST_HDRS     := $(wildcard host/lib/*.h host/cli/*.h)

# Two programs: unikit, and libexec/unikit/unikit-transfer with the verbs
# that move images in and out (push, pull, save, load), the only code that
# needs libcurl and libarchive; every other verb starts without loading them.
TRANSFER_ONLY := host/cli/push.c host/cli/pull.c host/cli/save.c host/cli/load.c \
	$(wildcard host/lib/registry*.c) host/lib/ociimage.c
UNIKIT_SRCS   := $(filter-out $(TRANSFER_ONLY),$(HOST_LIB_SRCS) $(HOST_CLI_SRCS))
TRANSFER_SRCS := $(HOST_LIB_SRCS) $(filter host/cli/%,$(TRANSFER_ONLY)) host/cli/common.c \
	host/transfer/main.c
UNIKIT_LIBS   := -lyaml -ljansson -lnettle -lz
# unikit and unikit-runtime are linked statically (Debian's -dev packages
# ship the archives): they start QEMU on every run and every container
# start, and the dynamic loader's work, with the copy-on-write faults it
# leaves for fork, cost `unikit run` 1.8 of its own 9 ms here
# (bench/startup.sh). The transfer helper stays dynamic: libcurl's static
# archive would need GnuTLS, Kerberos and LDAP's too.
STATIC_LDFLAGS := -static
TRANSFER_LIBS := $(UNIKIT_LIBS) -lcrypto -lcurl -larchive
HOST_LIBS     := $(TRANSFER_LIBS)
TRANSFER_BIN  := libexec/unikit/unikit-transfer
# Preloaded into QEMU when a run publishes ports (host/preload/listen_queue.c).
LISTEN_QUEUE  := libexec/unikit/listen-queue.so

.SECONDEXPANSION:

.PHONY: all demo test unit-test guest-test cli-test bench fuzz fuzz-build fuzz-bins install clean deps format

LIB_FILES := kernel.o kernel.ld net.o syscalls.tbl subsystems.txt kvm-probe.elf

all: bin/unikit bin/unikit-runtime $(TRANSFER_BIN) $(LISTEN_QUEUE) \
	$(foreach a,$(KARCHES),$(addprefix lib/unikit/$(a)/,$(LIB_FILES)))

bin/unikit: $(UNIKIT_SRCS) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(STATIC_LDFLAGS) -o $@ $(UNIKIT_SRCS) $(UNIKIT_LIBS)

$(TRANSFER_BIN): $(TRANSFER_SRCS) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(TRANSFER_SRCS) $(TRANSFER_LIBS)

# Not sanitized even beside the ASan programs: it is loaded into QEMU.
$(LISTEN_QUEUE) build/asan/$(LISTEN_QUEUE): host/preload/listen_queue.c
	@mkdir -p $(@D)
	$(HOST_CC) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -fPIC -shared -o $@ $<

# unikit-runtime, the OCI runtime (runc's command line), links host/lib
# without the transfer code.
RUNTIME_SRCS := $(wildcard host/runtime/*.c) $(filter-out $(TRANSFER_ONLY),$(HOST_LIB_SRCS))
bin/unikit-runtime: $(RUNTIME_SRCS) $(HOST_HDRS) host/runtime/runtime.h
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(STATIC_LDFLAGS) -o $@ $(RUNTIME_SRCS) $(UNIKIT_LIBS)

# The same programs built with AddressSanitizer and UBSan: the tests drive
# these, and the unit tests link the same objects (compiled once, not once a test).
asan_objs = $(patsubst host/%.c,build/asan/%.o,$(1))
HOST_LIB_ASAN_OBJS := $(call asan_objs,$(HOST_LIB_SRCS))
ASAN_BINS := build/asan/bin/unikit build/asan/$(TRANSFER_BIN) build/asan/bin/unikit-runtime \
	build/asan/$(LISTEN_QUEUE)
build/asan/%.o: host/%.c $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -c -o $@ $<
build/asan/bin/unikit: $(call asan_objs,$(UNIKIT_SRCS))
	@mkdir -p $(@D)
	$(HOST_CC) $(SAN_FLAGS) -o $@ $^ $(UNIKIT_LIBS)
build/asan/$(TRANSFER_BIN): $(call asan_objs,$(TRANSFER_SRCS))
	@mkdir -p $(@D)
	$(HOST_CC) $(SAN_FLAGS) -o $@ $^ $(TRANSFER_LIBS)
$(call asan_objs,$(wildcard host/runtime/*.c)): host/runtime/runtime.h
build/asan/bin/unikit-runtime: $(call asan_objs,$(RUNTIME_SRCS))
	@mkdir -p $(@D)
	$(HOST_CC) $(SAN_FLAGS) -o $@ $^ $(UNIKIT_LIBS)

# ---- kernel -----------------------------------------------------------------
KERNEL_CFLAGS_COMMON := -std=c17 -Ikernel/linux -Wall -Wextra -Werror -Os -g -ffreestanding -nostdinc \
	-fno-stack-protector \
	-fno-builtin -ffunction-sections -fdata-sections -fno-common -Ikernel/include \
	-fomit-frame-pointer
# -fomit-frame-pointer: nothing walks the kernel's frames (a fault report
# prints registers), and the frame set-up cost 1.9 kB of hello's kernel.

# The kernel's boot code (unpack.h), and the linker's symbols it may use.
KBOOT_SRCS := kernel/core/unpack.c kernel/lib/inflate.c
KBOOT_EXTERNS := gunzip __packed_start __packed_end __kernel_end __kernel_packed_len

KCC_x86_64     := gcc
KLD_x86_64     := ld
KNM_x86_64     := nm
KOBJCOPY_x86_64 := objcopy
KCFLAGS_x86_64 := -m64 -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-pie \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -malign-data=abi
KDRIVERS_x86_64 := kernel/drivers/uart16550.c

KCC_aarch64     := aarch64-linux-gnu-gcc
KLD_aarch64     := aarch64-linux-gnu-ld
KNM_aarch64     := aarch64-linux-gnu-nm
KOBJCOPY_aarch64 := aarch64-linux-gnu-objcopy
KCFLAGS_aarch64 := -mgeneral-regs-only -fno-pie -mcmodel=small -fno-asynchronous-unwind-tables \
                   -mno-outline-atomics
KDRIVERS_aarch64 := kernel/drivers/pl011.c

# The console device carries the program's stdio: every image has it.
KDRIVERS_COMMON := kernel/drivers/virtio_mmio.c kernel/drivers/virtio_console.c \
	kernel/drivers/virtio_9p.c

kernel_srcs = $(wildcard kernel/arch/$(1)/*.c kernel/arch/$(1)/*.S) \
	$(wildcard kernel/plat/virt/*.c kernel/plat/virt/$(1)/*.c) \
	$(KDRIVERS_$(1)) $(KDRIVERS_COMMON) $(filter-out $(NET_KERNEL_SRCS),$(wildcard kernel/core/*.c kernel/lib/*.c \
	kernel/linux/*.c kernel/linux/$(1)/*.c))
kernel_objs = $(patsubst %,build/kernel/$(1)/%.o,$(call kernel_srcs,$(1))) \
	build/kernel/$(1)/syscall_table.c.o

# ---- the network object -------------------------------------------------------
# lwIP (Debian's source package, unpacked into build/lwip by scripts/deps.sh),
# the virtio-net driver, the glue and the socket calls make lib/unikit/ARCH/net.o,
# which `unikit build` links only into images of programs that use sockets.
LWIP_DIR := build/lwip
LWIP_SRCS := $(addprefix $(LWIP_DIR)/src/core/,init.c def.c inet_chksum.c ip.c mem.c memp.c \
	netif.c pbuf.c stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c \
	ipv4/dhcp.c ipv4/etharp.c ipv4/icmp.c ipv4/ip4.c ipv4/ip4_addr.c ipv4/ip4_frag.c) \
	$(LWIP_DIR)/src/netif/ethernet.c
NET_KERNEL_SRCS := kernel/linux/net.c
NET_SRCS := $(wildcard kernel/net/*.c) kernel/drivers/virtio_net.c $(NET_KERNEL_SRCS)
NET_INC := -Ikernel/net/include -I$(LWIP_DIR)/src/include
NET_HDRS := $(wildcard kernel/net/include/*.h kernel/net/include/arch/*.h kernel/net/*.h)
net_objs = $(patsubst %,build/net/$(1)/%.o,$(NET_SRCS) $(LWIP_SRCS))

$(LWIP_SRCS):
	sh scripts/deps.sh

define kernel_rules
KINC_$(1) := -isystem $$(shell $(KCC_$(1)) -print-file-name=include)
build/kernel/$(1)/%.c.o: %.c $(wildcard kernel/include/*.h kernel/linux/*.h kernel/arch/$(1)/*.h)
	@mkdir -p $$(@D)
	$(KCC_$(1)) $(KERNEL_CFLAGS_COMMON) $$(KINC_$(1)) $(KCFLAGS_$(1)) -c -o $$@ $$<
build/kernel/$(1)/%.S.o: %.S
	@mkdir -p $$(@D)
	$(KCC_$(1)) $(KERNEL_CFLAGS_COMMON) $$(KINC_$(1)) $(KCFLAGS_$(1)) -D__ASSEMBLY__ -c -o $$@ $$<
# Boot code runs before the rest of the kernel is unpacked: its sections get
# the .boot prefix (the linker script keeps them out of the packed segment),
# and it may refer to nothing else.
$(patsubst %,build/kernel/$(1)/%.o,$(KBOOT_SRCS)): build/kernel/$(1)/%.c.o: %.c \
		$(wildcard kernel/include/*.h) scripts/check-boot-object.sh
	@mkdir -p $$(@D)
	$(KCC_$(1)) $(KERNEL_CFLAGS_COMMON) $$(KINC_$(1)) $(KCFLAGS_$(1)) \
		-fno-tree-loop-distribute-patterns -c -o $$@.tmp $$<
	$(KOBJCOPY_$(1)) --prefix-alloc-sections=.boot $$@.tmp
	sh scripts/check-boot-object.sh $(KNM_$(1)) $$@.tmp $(KBOOT_EXTERNS)
	mv $$@.tmp $$@
build/kernel/$(1)/syscall_table.c: kernel/linux/$(1).tbl scripts/gen-syscall-table.sh
	@mkdir -p $$(@D)
	sh scripts/gen-syscall-table.sh $$< > $$@
build/kernel/$(1)/syscall_table.c.o: build/kernel/$(1)/syscall_table.c kernel/linux/syscalls.h
	$(KCC_$(1)) $(KERNEL_CFLAGS_COMMON) $$(KINC_$(1)) $(KCFLAGS_$(1)) -Ikernel/linux -c -o $$@ $$<
# One relocatable object: `unikit build` links it with the program's blobs.
lib/unikit/$(1)/kernel.o: $(call kernel_objs,$(1))
	@mkdir -p $$(@D)
	$(KLD_$(1)) -r -o $$@ $$^
# lwIP is not ours: its warnings do not fail the build.
build/net/$(1)/$(LWIP_DIR)/%.c.o: $(LWIP_DIR)/%.c $(NET_HDRS)
	@mkdir -p $$(@D)
	$(KCC_$(1)) $(KERNEL_CFLAGS_COMMON) $$(KINC_$(1)) $(KCFLAGS_$(1)) $(NET_INC) -Wno-error -w \
		-c -o $$@ $$<
build/net/$(1)/%.c.o: %.c $(NET_HDRS) $(wildcard kernel/include/*.h kernel/linux/*.h) | $(LWIP_SRCS)
	@mkdir -p $$(@D)
	$(KCC_$(1)) $(KERNEL_CFLAGS_COMMON) $$(KINC_$(1)) $(KCFLAGS_$(1)) $(NET_INC) -c -o $$@ $$<
lib/unikit/$(1)/net.o: $(call net_objs,$(1))
	@mkdir -p $$(@D)
	$(KLD_$(1)) -r -o $$@ $$^
lib/unikit/$(1)/kernel.ld: kernel/arch/$(1)/kernel.ld
	@mkdir -p $$(@D)
	cp $$< $$@
# `unikit build` generates each image's system-call table from these
# numbers, and `inspect --explain` names the subsystem of each kernel symbol.
lib/unikit/$(1)/syscalls.tbl: kernel/linux/$(1).tbl
	@mkdir -p $$(@D)
	cp $$< $$@
lib/unikit/$(1)/subsystems.txt: scripts/gen-subsystems.sh $(call kernel_objs,$(1)) $(call net_objs,$(1))
	@mkdir -p $$(@D)
	NM=$(KNM_$(1)) sh scripts/gen-subsystems.sh $(call kernel_objs,$(1)) $(call net_objs,$(1)) > $$@
# The guest `unikit run` boots once per host boot to learn whether KVM can
# run unikit's guests (host/lib/accel.c).
lib/unikit/$(1)/kvm-probe.elf: bin/unikit lib/unikit/$(1)/kernel.o lib/unikit/$(1)/kernel.ld \
		lib/unikit/$(1)/net.o lib/unikit/$(1)/syscalls.tbl lib/unikit/$(1)/subsystems.txt host/probe/kvm-probe.c host/probe/Unikfile
	UNIKIT_LIBDIR=lib/unikit bin/unikit build -q --arch $(1) -o $$@ host/probe
endef
$(foreach a,$(KARCHES),$(eval $(call kernel_rules,$(a))))

# ---- tests --------------------------------------------------------------------
# Host unit tests: tests/unit/test_NAME.c links with host/lib (under the sanitizers).
UNIT_TESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))
build/unit/test_%: tests/unit/test_%.c $(HOST_LIB_ASAN_OBJS) $(HOST_HDRS) tests/unit/check.h
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(HOST_LIB_ASAN_OBJS) $(HOST_LIBS)

# Kernel unit tests: tests/unit/ktest_NAME.c compiled for the host with the
# kernel sources it names in KTEST_SRCS_NAME, through tests/unit/kshim.c.
KTESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/ktest_*.c))
-include tests/unit/ktests.mk
build/unit/ktest_%: tests/unit/ktest_%.c tests/unit/kshim.c $$(KTEST_SRCS_$$*) tests/unit/check.h
	@mkdir -p $(@D)
	$(HOST_CC) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 $(SAN_FLAGS) -DKTEST \
		$(KTEST_CFLAGS_$*) -Itests/unit -iquote kernel/include -iquote kernel/linux -o $@ $< \
		tests/unit/kshim.c $(KTEST_SRCS_$*) $(KTEST_LIBS_$*)

# tests/cli/netns.sh's driver: host/lib's netns.h and qemu_run together, as
# the OCI runtime uses them, without the runtime or a container engine.
NETNS_BOOT := build/tests/netns-boot
$(NETNS_BOOT): tests/host/netns-boot.c $(HOST_LIB_ASAN_OBJS) $(HOST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) -o $@ $< $(HOST_LIB_ASAN_OBJS) $(HOST_LIBS)

# Host fuzzers: tests/fuzz/fuzz_NAME.c, libFuzzer targets built with clang
# (Debian's clang-14 and libfuzzer-14-dev) under ASan and UBSan, linking
# host/lib compiled once more under build/fuzz/ with the fuzzer's coverage
# hooks. fuzz_cpio reads archives with the kernel's cpio.c, through the
# kernel unit tests' shim. fuzz-build builds them only where clang can link
# a libFuzzer program; tests/cli/fuzz-host.sh skips them elsewhere.
FUZZ_CC    ?= clang-14
FUZZ_SAN   := address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# clang only: netns_tc.c nests the kernel's struct tc_u32_sel as GCC allows.
FUZZ_CFLAGS := $(HOST_CFLAGS) -Wno-gnu-variable-sized-type-not-at-end
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(addprefix build/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_LIB_OBJS := $(patsubst host/%.c,build/fuzz/%.o,$(HOST_LIB_SRCS))
FUZZ_PROBE := printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return !d + !n; }' \
	| $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null
build/fuzz/lib/%.o: host/lib/%.c $(HOST_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -Itests/fuzz -o $@ $< $(FUZZ_LIB_OBJS) \
		$(HOST_LIBS)
.SECONDARY: $(FUZZ_LIB_OBJS)
build/fuzz/fuzz_cpio: tests/fuzz/fuzz_cpio.c tests/unit/kshim.c $(KTEST_SRCS_vfs)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,$(FUZZ_SAN) \
		-DKTEST -iquote kernel/include -iquote kernel/linux -o $@ $^
fuzz-bins: $(FUZZ_BINS)
	@:
fuzz-build:
	@if $(FUZZ_PROBE); then $(MAKE) --no-print-directory fuzz-bins; \
	else echo "no $(FUZZ_CC) with libFuzzer: the host fuzzers are not built (make deps)"; fi

unit-test: $(UNIT_TESTS) $(KTESTS)
	@sh tests/run-units.sh $(UNIT_TESTS) $(KTESTS)

guest-test: all $(ASAN_BINS)
	@sh tests/guest/run.sh

cli-test: all $(ASAN_BINS) $(NETNS_BOOT)
	@sh tests/cli/run.sh

# Installs missing packages first: `make test` must pass on a fresh machine.
test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all $(ASAN_BINS) $(NETNS_BOOT) $(UNIT_TESTS) \
		$(KTESTS)
	@$(MAKE) --no-print-directory -j$$(nproc) fuzz-build
	@sh tests/run-all.sh $(UNIT_TESTS) $(KTESTS)

demo:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory all
	bin/unikit build examples/hello
	bin/unikit run hello

bench: all
	@sh bench/run.sh

# The fuzzers and stress runs, longer than make test runs them: the host
# parsers for FUZZ_SECONDS each (tests/fuzz/run.sh), the system-call fuzzer
# (tests/guest/fuzz.sh), SQLite killed at SQLITE_CRASH_ROUNDS random points
# per architecture (tests/compat/sqlite-crash.sh), STRESS_RUNS (100)
# boots of each SMP stress program per architecture and CPU count with
# every host core kept busy (tests/cli/smp-stress.sh), then STALL_ROUNDS
# (150) rounds of 50 clients against a guest whose QEMU keeps being
# stopped (tests/cli/net-stall.sh).
fuzz: all $(ASAN_BINS) fuzz-build
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} sh tests/fuzz/run.sh
	@sh tests/guest/fuzz.sh
	@SQLITE_CRASH_ROUNDS=$${SQLITE_CRASH_ROUNDS:-25} sh tests/compat/sqlite-crash.sh
	@STRESS_RUNS=$${STRESS_RUNS:-100} STRESS_LOAD=1 sh tests/cli/smp-stress.sh
	@STALL_ROUNDS=$${STALL_ROUNDS:-150} sh tests/cli/net-stall.sh

deps:
	@sh scripts/deps.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 bin/unikit $(DESTDIR)$(PREFIX)/bin/unikit
	install -m 755 bin/unikit-runtime $(DESTDIR)$(PREFIX)/bin/unikit-runtime
	install -d $(DESTDIR)$(PREFIX)/libexec/unikit
	install -m 755 $(TRANSFER_BIN) $(DESTDIR)$(PREFIX)/$(TRANSFER_BIN)
	install -m 644 $(LISTEN_QUEUE) $(DESTDIR)$(PREFIX)/$(LISTEN_QUEUE)
	for a in $(KARCHES); do \
		install -d $(DESTDIR)$(PREFIX)/lib/unikit/$$a; \
		install -m 644 $(addprefix lib/unikit/$$a/,$(LIB_FILES)) $(DESTDIR)$(PREFIX)/lib/unikit/$$a/; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build bin lib libexec
