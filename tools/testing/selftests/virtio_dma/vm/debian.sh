#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test a user would run: a real Debian 12 guest (scripts/debian-guest.sh)
# with the virtio-pci-dma-dkms package installed and its boot switch on,
# booted from its own disk with its own kernels and initramfs under QEMU:
#
#   6.1, 6.12       every virtio device on virtio-pci-dma from the
#                   initramfs on, the root disk included; DHCP and a file
#                   fetched from the host intact; a file written
#   6.12 off        virtio-dma=off: the in-tree virtio_pci (boot time;
#                   6.1-off on request: the switch is the initramfs
#                   script's, the same for every kernel)
#   6.12 iommu      intel-iommu, iommu_platform=on: platform ops
#   6.12 policy     virtio_pci_dma.policy=net:mode=pool: the NIC pooled
#   6.12 removed    the package removed: virtio_pci drives everything
#
# Each boot ends with a clean poweroff; then e2fsck -fn finds the disk
# clean and the written file is read back from it on the host.
#
#   debian.sh [--build DIR] [--results FILE] [--jobs N] [--reuse] [BOOT...]

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
build=$top/build
results=
jobs=2
reuse=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--reuse) reuse=1; shift ;;
	-*) echo "debian.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
work=$build/debian
boots=("$@")
[ ${#boots[@]} -gt 0 ] || boots=(6.1 6.12 6.12-off 6.12-iommu 6.12-policy 6.12-removed)

mkdir -p "$build"
out() { echo "$*"; [ -z "$results" ] || echo "$*" >>"$results"; }

# The images: the package installed (one), then removed (the other).
deb=$(ls "$build"/deb/virtio-pci-dma-dkms_*_all.deb 2>/dev/null | tail -n 1 || :)
[ -n "$deb" ] || make -s -C "$top" BUILD="$build" deb >/dev/null
deb=$(ls "$build"/deb/virtio-pci-dma-dkms_*_all.deb | tail -n 1)
# --reuse: the images of an earlier run of the same package (developing).
if [ -n "$reuse" ] && [ -e "$work/removed/disk.img" ]; then
	:
elif ! "$top/scripts/debian-guest.sh" images "$deb" "$work" >"$work.log" 2>&1; then
	out "not ok debian/images (debian-guest.sh failed; $work.log)"
	# apt's and DKMS's own words are in the step's log.
	for f in "$work.log" "$work/install.log" "$work/remove.log"; do
		[ -s "$f" ] && tail -n 20 "$f" | sed 's/^/# /'
	done
	exit 1
fi
# DKMS built the module in the guest for each kernel, and removing the
# package took it away again.
has_module() { # has_module IMAGE KVER
	debugfs -R "ls /lib/modules/$2/updates/dkms" "$1" 2>/dev/null |
		grep -q 'virtio_pci_dma\.ko'
}
# 6.12 comes after the package (debian-guest.sh): DKMS's kernel hook.
when() { case $1 in 6.1.*) echo "before the package" ;; *) echo "after the package" ;; esac; }
for k in $(ls "$work/installed" | sed -n 's/^vmlinuz-//p'); do
	if has_module "$work/installed/disk.img" "$k"; then
		out "ok debian/dkms-$k (DKMS built the module in the guest for $k, installed $(when "$k"))"
	else
		out "not ok debian/dkms-$k (DKMS built the module in the guest for $k, installed $(when "$k"); $work/install.log)"
	fi
	if has_module "$work/removed/disk.img" "$k"; then
		out "not ok debian/removed-$k (removing the package removed the module; $work/remove.log)"
	else
		out "ok debian/removed-$k (removing the package removed the module)"
	fi
done

# The file the guests fetch, served by the host on a free port.
head -c 8M /dev/urandom >"$work/fetch.bin"
sum=$(sha256sum "$work/fetch.bin" | cut -d' ' -f1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work" "$port" >/dev/null 2>&1 &
server=$!
# Not one of the boots the loop below counts.
disown "$server"
trap 'kill $server 2>/dev/null' EXIT

# shellcheck source=arch.sh
. "$here/arch.sh"
arch_select x86_64

kver_of() { # the image's kernel of series 6.1 or 6.12
	ls "$1" | sed -n "s/^vmlinuz-\\($2\\.[0-9].*\\)$/\\1/p" | sort -V | tail -n 1
}

# boot NAME: one boot of the matrix above, its results to stdout.
boot() {
	local name=$1 series=${1%%-*} variant=${1#*-} img=installed kver
	local dir=$work/$name args=() append="" log rc=0 start secs
	[ "$variant" = "$name" ] && variant=
	[ "$variant" = removed ] && img=removed
	kver=$(kver_of "$work/$img" "$series")
	rm -rf "$dir" && mkdir -p "$dir"
	log=$dir/console.log
	qemu-img create -q -f qcow2 -b "$work/$img/disk.img" -F raw "$dir/disk.qcow2"
	local devopt=disable-legacy=on iommu=
	case $variant in
	iommu)
		iommu=strict
		devopt=$devopt,iommu_platform=on
		;;
	off) append="virtio-dma=off" ;;
	policy) append="virtio_pci_dma.policy=net:mode=pool" ;;
	esac
	arch_machine_args args 2048 2 "$iommu"
	args+=(-drive "file=$dir/disk.qcow2,if=none,id=root,format=qcow2"
		-device "virtio-blk-pci,drive=root,$devopt"
		-netdev user,id=n0 -device "virtio-net-pci,netdev=n0,$devopt"
		-device "virtio-rng-pci,$devopt")
	start=$(date +%s)
	timeout --kill-after=10 600 qemu-system-x86_64 "${args[@]}" \
		-kernel "$work/$img/vmlinuz-$kver" -initrd "$work/$img/initrd.img-$kver" \
		-append "root=/dev/vda rw $(arch_cmdline) panic=-1 $(arch_iommu_cmdline "$iommu") vpd.port=$port vpd.file=fetch.bin vpd.sum=$sum $append" \
		-serial "file:$log" </dev/null >"$dir/qemu.out" 2>&1 || rc=$?
	secs=$(($(date +%s) - start))
	tr -d '\r' <"$log" >"$log.clean"
	check_boot "debian/$name ($kver)" "$log.clean" "$rc" "$variant" "$dir"
	echo "# debian/$name: ${secs}s, $(sed -n 's/.*vpd-guest: multi-user //p' "$log.clean") to multi-user.target"
}

# check_boot NAME LOG RC VARIANT DIR
check_boot() {
	local name=$1 log=$2 rc=$3 variant=$4 dir=$5 want_drv=virtio-pci-dma want_mode
	# A report line may follow a login prompt on the same console line.
	g() { sed -n "s|.*vpd-guest: $1||p" "$log"; }
	has() { grep -qF "vpd-guest: $1" "$log"; }
	r() { if eval "$2"; then echo "ok $name/$1"; else echo "not ok $name/$1"; fi; }
	case $variant in
	off | removed) want_drv=virtio-pci ;;
	esac
	r "reached multi-user.target and reported" 'has done'
	# QEMU exits 0 after a panic too (-no-reboot, panic=-1).
	r "powered off (qemu exit $rc)" '[ "$rc" = 0 ] && grep -q "reboot: Power down" "$log"'
	local devs
	devs=$(g "device ")
	r "three virtio devices" '[ "$(echo "$devs" | grep -c .)" = 3 ]'
	r "all on $want_drv" '! echo "$devs" | grep -v " driver $want_drv "'
	r "every virtio driver bound" '! echo "$devs" | grep -q "virtio-driver - "'
	if [ "$want_drv" = virtio-pci-dma ]; then
		case $variant in
		iommu) want_mode='platform platform platform' ;;
		policy) want_mode='direct pool direct' ;;
		*) want_mode='direct direct direct' ;;
		esac
		# In PCI order: the disk, the NIC, the rng.
		r "modes $want_mode" '[ "$(echo "$devs" | sed "s/.* mode //" | xargs)" = "$want_mode" ]'
		r "root disk on virtio-pci-dma" 'has "root /dev/vda on virtio-pci-dma"'
	fi
	case $variant in
	off) r "the tool says why" 'has "status: virtio-dma: virtio-dma=off on the kernel command line"' ;;
	removed) r "the tool is gone with the package" 'has done && ! has "status: "' ;;
	esac
	r "DHCP and the file fetched intact" 'has "fetch ok $sum"'
	# The whole console: the kernel's messages up to the power-off.
	r "no WARNING, BUG or Oops" 'has done && ! grep -qE "WARNING: CPU|BUG: |Oops: |Kernel panic" "$log"'
	# The disk, after the guest: clean, with the file it wrote.
	qemu-img convert -O raw "$dir/disk.qcow2" "$dir/disk.raw"
	r "e2fsck -fn clean" 'has done && e2fsck -fn "$dir/disk.raw" >"$dir/e2fsck.log" 2>&1'
	local written
	written=$(debugfs -R "cat /var/lib/vpd-guest/written" "$dir/disk.raw" 2>/dev/null | sha256sum | cut -d' ' -f1)
	r "the written file on the disk" 'has "written $written"'
	rm -f "$dir/disk.raw" "$dir/disk.qcow2"
}

for b in "${boots[@]}"; do
	boot "$b" >"$work/$b.result" 2>&1 &
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait
for b in "${boots[@]}"; do
	# A boot whose checks died on the way is a failure, not a silence.
	grep -q '^ok \|^not ok ' "$work/$b.result" 2>/dev/null ||
		out "not ok debian/$b (no result; $work/$b.result)"
	while IFS= read -r line; do out "$line"; done <"$work/$b.result"
done
