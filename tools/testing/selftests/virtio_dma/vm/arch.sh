# SPDX-License-Identifier: GPL-2.0
#
# What differs between guest architectures, for vm/run.sh: the QEMU binary
# and machine, the console, the busybox, how devices and IOMMUs are given.
# Everything architecture-specific in the runner lives here.

arch_select() {
	case $1 in
	x86_64 | x86 | amd64)
		vm_arch=x86_64
		;;
	ppc64le | powerpc | ppc64el)
		# pseries: every PCI device behind TCE tables (the IOMMU).
		vm_arch=ppc64le
		;;
	aarch64 | arm64)
		# -M virt: PCIe with an SMMUv3 or virtio-iommu when asked.
		vm_arch=aarch64
		;;
	*)
		echo "arch.sh: no guest support for '$1' yet" >&2
		exit 2
		;;
	esac
}

arch_qemu() {
	case $vm_arch in
	ppc64le) echo qemu-system-ppc64 ;;
	aarch64) echo qemu-system-aarch64 ;;
	*) echo qemu-system-x86_64 ;;
	esac
}

# Where the guests' busybox and (with a KVER) that kernel's modules come
# from: /, the root scripts/foreign-root.sh unpacked another architecture
# into, or the trixie build root of Debian 13's kernels.
arch_root() {
	"$top/scripts/kernels.sh" --arch "$vm_arch" root "$@"
}

arch_busybox() {
	echo "$(arch_root)/bin/busybox"
}

arch_image() {
	"$top/scripts/kernels.sh" --arch "$vm_arch" image "$1"
}

# arch_unpack_image IMAGE OUT: on x86, the kernel a bzImage carries,
# decompressed into OUT where it has a PVH entry (Debian's do): QEMU
# loads that ELF itself, and each boot skips decompressing some 60 MB
# under TCG and the real-mode setup, about 7 s of a 10 s boot. The
# payload is where the boot protocol's setup header says (payload_offset
# and payload_length, protocol 2.08), less the uncompressed size the
# kernel's build appends to an xz or zstd stream. False where there is
# nothing to gain or it could not be done: the bzImage boots then.
arch_unpack_image() {
	local img=$1 out=$2 setup off len unpack trim=4
	[ "$vm_arch" = x86_64 ] || return 1
	setup=$((($(od -An -j 0x1f1 -N 1 -tu1 "$img") + 1) * 512))
	off=$(od -An -j 0x248 -N 4 -tu4 "$img")
	len=$(od -An -j 0x24c -N 4 -tu4 "$img")
	payload() {
		dd if="$img" iflag=skip_bytes,count_bytes skip=$((setup + off)) \
			count="$1" bs=64K status=none
	}
	case $(payload 4 | od -An -tx1 | tr -d ' ') in
	fd377a58) unpack="xz -dc" ;;
	28b52ffd) unpack="zstd -dcq" ;;
	1f8b*) unpack="gzip -dc" trim=0 ;;
	*) return 1 ;;
	esac
	# The ELF note of the PVH entry: XEN_ELFNOTE_PHYS32_ENTRY, 18.
	payload $((len - trim)) | $unpack >"$out.new" &&
		readelf -n "$out.new" 2>/dev/null | grep -Eq 'Xen .*(0x00000012|PHYS32)' &&
		mv "$out.new" "$out" || { rm -f "$out.new"; return 1; }
}

# no_timer_check: on a loaded host a TCG guest can miss the few timer
# ticks the kernel waits for while it sets up the IO-APIC, and panics
# with "IO-APIC + timer doesn't work!" (3 boots in about 200 with six
# guests on 2 cores).
arch_cmdline() {
	case $vm_arch in
	ppc64le) echo console=hvc0 ;;
	aarch64) echo console=ttyAMA0 ;;
	*) echo console=ttyS0 no_timer_check ;;
	esac
}

# What a guest must not print besides the runner's own list: on pseries,
# a TCE table full or an EEH freeze means DMA went wrong.
arch_bad_dmesg() {
	case $vm_arch in
	ppc64le) echo 'iommu_alloc failed|EEH: .*(frozen|Frozen|failure)' ;;
	# A fault the SMMU recorded: a device reached memory it was not given.
	aarch64) echo 'arm-smmu-v3 .*(event 0x|EVTQ overflow)|virtio_iommu .*fault from EP' ;;
	*) echo ;;
	esac
}

# What the debug kernel (make check-debug) boots with besides: KASAN with
# 5-level paging (-cpu max has LA57) once reported a wild access in an
# interrupt taken early in boot, before any module loaded.
arch_debug_cmdline() {
	case $vm_arch in
	x86_64) echo no5lvl ;;
	*) echo ;;
	esac
}

# arch_machine_args ARRAY MEM SMP IOMMU [ICOUNT] [THREADS]: the machine,
# without devices. Never KVM: guests run under TCG everywhere this project
# is tested. ICOUNT=N makes the guest's clock count the instructions it
# executes, 2^N ns each.
#
# All the vCPUs of a guest take turns on one host thread: QEMU 7.2's
# multi-threaded TCG can go on running its translation of kernel text
# that another vCPU has just patched (a static key, through an int3). A
# busy host lost about one 2-vCPU boot in 200 to an "Oops: int3" in
# sched_clock_cpu(), patched by the late initcall that marks
# sched_clock stable; smp-textpoke shows it every time.
#
# THREADS=multi (the stress scenarios) gives each vCPU a host thread of
# its own, so that guest CPUs map and unmap at the same instant; see
# arch_threads_cmdline for what keeps the race above away.
arch_machine_args() {
	local -n a=$1
	a+=(-accel "tcg,thread=${6:-single}")
	[ -z "${5:-}" ] || a+=(-icount "shift=$5,sleep=on")
	a+=(-m "$2" -smp "$3" -display none -no-reboot -nodefaults -monitor none)
	case $vm_arch in
	ppc64le)
		# The TCE IOMMU is always there; the speculation workarounds
		# TCG cannot give are declined rather than warned about.
		[ -z "$4" ] || { echo "arch.sh: pseries has no IOMMU '$4' to choose" >&2; return 1; }
		a+=(-M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
			-cpu power9)
		;;
	aarch64)
		# pauth-impdef: QEMU's own pointer-authentication hash, far
		# cheaper under TCG than the architected QARMA.
		local m=virt,gic-version=3
		case $4 in
		strict | lazy) m+=,iommu=smmuv3 ;;
		virtio | "") ;;
		*) echo "arch.sh: unknown IOMMU '$4'" >&2; return 1 ;;
		esac
		a+=(-M "$m" -cpu max,pauth-impdef=on)
		# virtio-iommu: a virtio device the transport drives too,
		# before the devices it translates for can probe.
		[ "$4" != virtio ] || a+=(-device virtio-iommu-pci)
		;;
	*)
		a+=(-M q35 -cpu max)
		# The IOMMU must exist before the devices it translates for.
		case $4 in
		strict | lazy) a+=(-device intel-iommu,intremap=off) ;;
		"") ;;
		*) echo "arch.sh: unknown IOMMU '$4'" >&2; return 1 ;;
		esac
		;;
	esac
}

# What a guest whose vCPUs run in parallel boots with: its kernel should
# patch as little code as another vCPU may be running. The static key
# that killed boots marks sched_clock stable, at boot or when the
# clocksource watchdog gives up on the TSC; with the TSC unstable from the
# start it is never flipped. Others remain (virtio_net's XPS keys flip as
# the NIC binds): run.sh boots a guest that died of the race again.
arch_threads_cmdline() {
	case $vm_arch:$1 in
	x86_64:multi) echo tsc=unstable ;;
	*) echo ;;
	esac
}

arch_iommu_cmdline() {
	case $vm_arch:$1 in
	x86_64:strict) echo intel_iommu=on iommu.strict=1 ;;
	x86_64:lazy) echo intel_iommu=on iommu.strict=0 ;;
	aarch64:strict | aarch64:virtio) echo iommu.strict=1 ;;
	aarch64:lazy) echo iommu.strict=0 ;;
	*) echo ;;
	esac
}

# arch_device_args ARRAY WORKDIR COMMON_OPTS DEVICE...: each DEVICE is a
# name from the catalogue below, optionally followed by ":opt=val,...";
# COMMON_OPTS go to every virtio device.
arch_device_args() {
	local -n d=$1
	local work=$2 common=$3 spec name opts n=0
	shift 3
	for spec in "$@"; do
		name=${spec%%:*}
		opts=
		[ "$name" != "$spec" ] && opts=,${spec#*:}
		n=$((n + 1))
		# "port" puts the device behind a PCIe root port of its own:
		# a PCIe function, with FLR, that can be hot-unplugged.
		case ,$opts, in
		*,port,*)
			opts=$(echo "$opts" | sed 's/,port//')
			d+=(-device "pcie-root-port,id=port$n,chassis=$n,slot=$n")
			opts=,bus=port$n,id=dev$n$opts
			;;
		esac
		[ -n "$common" ] && opts=,$common$opts
		case $name in
		blk)
			# A -blockdev outlives the device: it can be plugged again.
			truncate -s 64M "$work/blk$n.img"
			d+=(-blockdev "driver=raw,node-name=blk$n,file.driver=file,file.filename=$work/blk$n.img,cache.no-flush=on"
				-device "virtio-blk-pci,drive=blk$n,serial=vpd-blk$n$opts")
			;;
		blkslow)
			# A disk that answers at 2 MiB/s (QEMU's throttle
			# filter), as a busy host's would: the guest's requests
			# stay in flight, their buffers mapped, however slowly
			# it submits them. At 8 MiB/s a debug kernel on a
			# loaded host submitted no faster than it answered
			# (check-debug, 2026-12-01).
			truncate -s 64M "$work/blk$n.img"
			d+=(-object "throttle-group,id=tg$n,x-bps-total=2097152"
				-blockdev "driver=raw,node-name=raw$n,file.driver=file,file.filename=$work/blk$n.img,cache.no-flush=on"
				-blockdev "driver=throttle,node-name=blk$n,throttle-group=tg$n,file=raw$n"
				-device "virtio-blk-pci,drive=blk$n,serial=vpd-slow$n$opts")
			;;
		blknull)
			# Nothing behind the disk: the transport's own cost.
			d+=(-blockdev "driver=null-co,node-name=blk$n,size=1073741824,read-zeroes=off"
				-device "virtio-blk-pci,drive=blk$n,serial=vpd-null$n$opts")
			;;
		blkshm)
			# A file on the host's tmpfs, no host disk in the way.
			vm_shm_file=$(mktemp /dev/shm/vpd-blk.XXXXXX)
			truncate -s 256M "$vm_shm_file"
			d+=(-blockdev "driver=raw,node-name=blk$n,file.driver=file,file.filename=$vm_shm_file"
				-device "virtio-blk-pci,drive=blk$n,serial=vpd-shm$n$opts")
			;;
		scsi)
			truncate -s 64M "$work/scsi$n.img"
			d+=(-device "virtio-scsi-pci,id=scsi$n$opts"
				-drive "if=none,id=sd$n,file=$work/scsi$n.img,format=raw,cache=unsafe"
				-device "scsi-hd,bus=scsi$n.0,drive=sd$n,serial=vpd-sd$n")
			;;
		net)
			# The echo server is a cat that QEMU starts for each
			# connection: nothing leaves QEMU's user-mode stack.
			d+=(-netdev "user,id=net$n,restrict=on,guestfwd=tcp:10.0.2.100:7-cmd:cat"
				-device "virtio-net-pci,netdev=net$n$opts")
			;;
		netbench)
			# A tap into a network namespace of this guest's own, where
			# an iperf3 server waits: the fastest backend here (there
			# is no vhost-net).
			vm_netns=vpd-$BASHPID-$n
			arch_private_tap "$vm_netns" vpdtap$n ""
			# Not the runner's lock (fd 9): a server a killed run
			# left behind would hold it.
			ip netns exec "$vm_netns" iperf3 -s -D -I "$work/iperf3.pid" -B 192.0.2.1 \
				>/dev/null 9>&-
			d+=(-netdev "tap,id=net$n,ifname=vpdtap$n,script=no,downscript=no,vhost=off"
				-device "virtio-net-pci,netdev=net$n$opts")
			;;
		netmq)
			# Four queue pairs need a multiqueue tap. It lives with
			# its echo server in a network namespace of this guest's
			# own: nothing the test sends reaches any other network.
			vm_netns=vpd-$BASHPID-$n
			arch_private_tap "$vm_netns" vpdtap$n multi_queue
			ip netns exec "$vm_netns" busybox nc -ll -p 7 -e /bin/cat 9>&- &
			echo $! >"$work/echo.pid"
			d+=(-netdev "tap,id=net$n,ifname=vpdtap$n,script=no,downscript=no,vhost=off,queues=4"
				-device "virtio-net-pci,netdev=net$n,mq=on,vectors=10$opts")
			;;
		rng)
			d+=(-object "rng-random,id=rng$n,filename=/dev/urandom"
				-device "virtio-rng-pci,rng=rng$n$opts")
			;;
		console)
			# A port whose host side echoes: QEMU writes to .out,
			# a cat feeds it back through .in.
			mkfifo "$work/con$n.in" "$work/con$n.out"
			(cat "$work/con$n.out" >"$work/con$n.in" &)
			d+=(-chardev "pipe,id=con$n,path=$work/con$n"
				-device "virtio-serial-pci,id=ser$n$opts"
				-device "virtserialport,bus=ser$n.0,chardev=con$n,name=vpd.echo")
			;;
		balloon)
			d+=(-device "virtio-balloon-pci$opts")
			;;
		9p)
			# A host folder of the guest's own; virtio 9p's driver
			# has no freeze and restore (6.1, 6.12).
			mkdir -p "$work/9p$n"
			d+=(-fsdev "local,id=fs$n,path=$work/9p$n,security_model=none"
				-device "virtio-9p-pci,fsdev=fs$n,mount_tag=vpd9p$n$opts")
			;;
		*)
			echo "arch.sh: unknown device '$name'" >&2
			return 1
			;;
		esac
		# What device_add needs to plug a port's device in again.
		case ,$opts, in
		*,id=dev$n,*) qmp_device_json "${d[-1]}" >"$work/dev$n.json" ;;
		esac
	done
}

# arch_private_tap NETNS TAP [multi_queue]: a new network namespace holding
# TAP, at 192.0.2.1 (TEST-NET-1: never routed anywhere).
arch_private_tap() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" tuntap add dev "$2" mode tap ${3:+"$3"}
	ip -n "$1" addr add 192.0.2.1/24 dev "$2"
	ip -n "$1" link set "$2" up
}

# qmp_device_json "driver,key=value,...": the same as device_add arguments.
qmp_device_json() {
	echo "$1" | awk -F, '{
		printf "{\"driver\":\"%s\"", $1
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			printf ",\"%s\":\"%s\"", kv[1], kv[2]
		}
		print "}"
	}'
}

# Ends what arch_device_args started on the host.
arch_device_cleanup() {
	local f
	for f in "$1"/echo.pid "$1"/iperf3.pid; do
		[ -f "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	if [ -n "${vm_shm_file:-}" ]; then
		rm -f "$vm_shm_file"
		vm_shm_file=
	fi
	if [ -n "${vm_netns:-}" ]; then
		ip netns del "$vm_netns"
		vm_netns=
	fi
	for f in "$1"/con*.out; do
		[ -p "$f" ] || continue
		# Wakes a cat still blocked in open() so that it exits.
		timeout 1 sh -c ": >'$f'" 2>/dev/null || true
	done
	rm -f "$1"/*.img
}
