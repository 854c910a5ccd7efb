# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of virtio_pci_dma.ko and its tests.
#
#   make                  build the module for KDIR (default: see below)
#   make KDIR=...         build against another header tree
#   make install          install it for that kernel (updates/, depmod)
#   make deb              the Debian package virtio-pci-dma-dkms
#   make all-kernels      build for every installed target kernel
#   make W=1 / make sparse / make checkpatch
#   make run              boot a guest whose virtio devices use the module
#   make check            the tests, on every target kernel, in QEMU
#   make check-debug      the tests on a debug kernel (KASAN, lockdep, ...)
#   make bench [QUICK=1]  what each DMA mode costs, against virtio_pci
#   make deps             install what the above need from Debian's packages
#   make kselftest-install  the kselftests installed from a kernel tree
#   make ARCH=powerpc     the same for ppc64le (pseries) guests, cross-built
#   make ARCH=arm64       the same for arm64 (-M virt) guests, cross-built

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD ?= $(TOP)/build
ARCH ?= $(shell uname -m)
# The guest architecture as uname -m says it, the kernel's name for it,
# and a cross compiler where it is not the host's.
GARCH := $(if $(filter powerpc ppc64le ppc64el,$(ARCH)),ppc64le,$(if $(filter x86 x86_64 amd64,$(ARCH)),x86_64,$(if $(filter arm64 aarch64,$(ARCH)),aarch64,$(ARCH))))
KARCH := $(strip $(patsubst x86_64,x86,$(patsubst ppc64le,powerpc,$(patsubst aarch64,arm64, \
	$(filter x86_64 ppc64le aarch64,$(GARCH))))))
ifeq ($(KARCH),)
$(error ARCH=$(ARCH) is not a target: x86_64, powerpc (ppc64le guests) or arm64)
endif
CROSS_COMPILE ?= $(if $(filter-out $(shell uname -m),$(GARCH)),$(if $(filter ppc64le,$(GARCH)),powerpc64le,$(GARCH))-linux-gnu-)
KBUILD_ARGS := ARCH=$(KARCH) $(if $(CROSS_COMPILE),CROSS_COMPILE=$(CROSS_COMPILE))
KERNELS := $(TOP)/scripts/kernels.sh --arch $(GARCH)

# The machines' own kernel has no headers: fall back to the newest
# installed Debian header tree that has a bootable image next to it
# (none before make deps: KDIR is then empty and module says so).
ifeq ($(origin KDIR),undefined)
KDIR := $(firstword $(if $(CROSS_COMPILE),,$(wildcard /lib/modules/$(shell uname -r)/build)) \
		    $(shell k=$$($(KERNELS) default) && [ -n "$$k" ] && $(KERNELS) kdir "$$k"))
endif
KVER := $(if $(KDIR),$(shell $(KERNELS) kver $(KDIR)))
OUT = $(BUILD)/$(KVER)

# Modules that only tests and benchmarks load, one directory each.
TEST_MODULES := $(addprefix tools/testing/selftests/virtio_dma/,vpd_audit_test vpd_map_bench)
SOURCES := Kbuild $(shell cd $(TOP) && find drivers include -name '*.[ch]')
CHECK_FILES := $(filter %.c %.h,$(SOURCES)) \
	$(shell cd $(TOP) && find tools -name '*.[ch]')

.PHONY: all module install deb all-kernels sparse checkpatch deps ksrc selftests \
	kselftest-install run check check-debug bench clean help

all: module

# A kernel of the trixie build root (scripts/build-root.sh) is built in
# that root, with its gcc-14: the same target, run there.
BROOT := $(if $(KDIR),$(shell $(KERNELS) builder $(KDIR)))

# Each kernel gets its own object tree: the sources are linked in file by
# file, so two kernels never share an object file.
ifneq ($(BROOT),)
module:
	@$(TOP)/scripts/in-root.sh $(BROOT) $(TOP) $(BUILD) -- \
		$(MAKE) -f $(TOP)/Makefile module BUILD=$(BUILD) \
		KDIR=$(patsubst $(BROOT)%,%,$(realpath $(KDIR)))
else
module:
	@test -d "$(KDIR)" || { echo "make: no kernel headers at KDIR='$(KDIR)'; run 'make deps'" >&2; exit 1; }
	@mkdir -p $(OUT)/scripts
	@cd $(TOP) && cp -rsf $(TOP)/Kbuild $(TOP)/drivers $(TOP)/include $(OUT)/
	@cp -sf $(TOP)/scripts/compat-probe.sh $(OUT)/scripts/
	$(MAKE) -C $(KDIR) M=$(OUT) $(KBUILD_ARGS) modules
	@ln -sf $(OUT)/virtio_pci_dma.ko $(TOP)/virtio_pci_dma.ko
	@set -e; for t in $(TEST_MODULES); do \
		mkdir -p $(OUT)/test-modules/$$(basename $$t); \
		cp -rsf $(TOP)/$$t/. $(OUT)/test-modules/$$(basename $$t)/; \
		$(MAKE) -C $(KDIR) M=$(OUT)/test-modules/$$(basename $$t) $(KBUILD_ARGS) modules; \
	done
endif

# Into /lib/modules/<kver>/updates of the kernel KDIR is for (under
# DESTDIR if set), where it wins over anything of the same name; the
# tool into /usr/sbin.
install: module
	install -D -m 644 $(OUT)/virtio_pci_dma.ko \
		$(DESTDIR)/lib/modules/$(KVER)/updates/virtio_pci_dma.ko
	install -D -m 755 $(TOP)/tools/virtio-dma/virtio-dma $(DESTDIR)/usr/sbin/virtio-dma
	$(if $(DESTDIR),,depmod $(KVER))

# The Debian package virtio-pci-dma-dkms (debian/): the module's source
# for DKMS, built by Debian's own tooling from a copy of what it ships,
# into build/deb/.
DEB_FILES := debian dkms.conf Kbuild Kconfig drivers include tools/virtio-dma \
	scripts/compat-probe.sh
deb:
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	@cd $(TOP) && cp -r --parents $(DEB_FILES) $(BUILD)/deb/src/
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc
	@ls $(BUILD)/deb/*.deb

all-kernels:
	@set -e; for k in $$($(KERNELS) list); do \
		$(MAKE) -f $(TOP)/Makefile module KDIR=$$($(KERNELS) kdir $$k); \
	done

# sparse reports on stderr; a clean run prints no warning or error line.
sparse:
	@set -e; for k in $$($(KERNELS) list); do \
		$(MAKE) -f $(TOP)/Makefile module C=2 KDIR=$$($(KERNELS) kdir $$k) \
			2>&1 | tee $(BUILD)/sparse-$$k.log; \
		! grep -E ': (warning|error):' $(BUILD)/sparse-$$k.log; \
	done

ksrc:
	@$(TOP)/scripts/ksrc.sh $(BUILD)/ksrc >/dev/null

checkpatch: ksrc
	cd $(TOP) && perl $(BUILD)/ksrc/scripts/checkpatch.pl --no-tree --strict \
		--terse -f $(CHECK_FILES)

# Built in build/selftests-obj-ARCH, installed as the guests see them in
# build/selftests-ARCH.
selftests: ksrc
	@rm -rf $(BUILD)/selftests-$(GARCH)
	@mkdir -p $(BUILD)/selftests-obj-$(GARCH)
	$(MAKE) -C $(TOP)/tools/testing/selftests/virtio_dma \
		$(if $(CROSS_COMPILE),CROSS_COMPILE=$(CROSS_COMPILE)) \
		KSFT_DIR=$(BUILD)/ksrc/tools/testing/selftests \
		OUTPUT=$(BUILD)/selftests-obj-$(GARCH) \
		INSTALL_PATH=$(BUILD)/selftests-$(GARCH) install

# The same tests installed as a kernel developer installs them, from a
# kernel tree's tools/testing/selftests (Debian's 6.1 framework) with
# run_kselftest.sh, into build/kselftest-ARCH; the kselftest scenario
# runs them that way.
kselftest-install:
	@$(TOP)/scripts/kselftest-tree.sh $(BUILD)/ktree-$(GARCH) \
		$(BUILD)/kselftest-$(GARCH) $(CROSS_COMPILE)

# make check covers the pseries and arm64 guests too where the host is
# x86: they are cross-built and run under TCG like the x86 ones.
CHECK_ARCHES ?= $(GARCH) $(if $(filter x86_64,$(GARCH)),ppc64le aarch64)

deps:
	@set -e; for a in $(CHECK_ARCHES); do \
		$(TOP)/scripts/install-deps.sh --arch $$a; \
	done

run: deps all-kernels selftests
	@$(TOP)/tools/testing/selftests/virtio_dma/vm/run.sh --arch $(GARCH) \
		--build $(BUILD) --show run

check: deps
	@$(TOP)/scripts/check.sh $(addprefix --arch ,$(CHECK_ARCHES)) --build $(BUILD)

check-debug:
	@$(TOP)/scripts/install-deps.sh --arch $(GARCH) --debug
	@$(TOP)/scripts/check.sh --arch $(GARCH) --build $(BUILD) --debug

# The full run covers every guest architecture make check does; QUICK=1
# the host's own. Each architecture's default kernel, then its newest
# where that is another (the DMA core changes between them).
bench: deps
	@set -e; for a in $(if $(QUICK),$(GARCH),$(CHECK_ARCHES)); do \
		$(TOP)/bench/run.sh --arch $$a --build $(BUILD) $(if $(QUICK),--quick); \
		k=$$($(TOP)/scripts/kernels.sh --arch $$a list | tail -n 1); \
		[ "$$k" = "$$($(TOP)/scripts/kernels.sh --arch $$a default)" ] || \
		$(TOP)/bench/run.sh --arch $$a --build $(BUILD) --kernel $$k \
			$(if $(QUICK),--quick); \
	done

clean:
	rm -rf $(BUILD) $(TOP)/virtio_pci_dma.ko
