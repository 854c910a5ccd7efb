// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark-only module: times the DMA API calls a virtio driver makes,
 * through the DMA ops a PCI device has right now (ours in one of their
 * modes, or the platform's under the in-tree virtio_pci), like the
 * kernel's dma_map_benchmark, which distribution kernels do not build.
 *
 *   echo "<pci address> <bytes> <threads> <iterations>" \
 *       > /sys/kernel/debug/vpd_map_bench/run
 *   cat /sys/kernel/debug/vpd_map_bench/run
 *
 * Each thread, bound to a CPU of its own, makes @iterations map+unmap
 * pairs of a DMA_TO_DEVICE buffer (what a transmit costs); then, in a
 * second phase, as many sync_for_device+sync_for_cpu pairs on one
 * DMA_FROM_DEVICE mapping (what a reused receive buffer costs). A phase is
 * timed from the moment all its threads are released until the last one
 * is done; the result is that time over all the pairs of all threads, so
 * more threads on as many idle CPUs should make it smaller, and contention
 * shows as a figure that does not shrink. The buffers are the benchmark's
 * own: the device never sees them, so any bound virtio device will do.
 *
 * Two floors follow a one-thread run, whatever the device's ops: a
 * genalloc allocation and free of the size in 128-byte granules, as the
 * pool's region is kept (genalloc_ns), and one copy of the size, what a
 * pool map of a buffer for the device copies (copy_ns). What a pool's
 * map+unmap pair costs beyond them and dma-direct's is its own code.
 *
 *   cat /sys/kernel/debug/vpd_map_bench/cpu
 *
 * gives make bench its CPU clock: "BUSY_NS NOW_NS", the time the online
 * CPUs have not been idle and the clock, to the microsecond. The idle
 * time is the tick-less idle code's, which includes an idle period in
 * progress; 7.3's /proc/timer_list no longer shows it, and /proc/stat
 * counts in ticks, far too coarse for one fio job.
 */

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/kernel_stat.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/tick.h>
#include <linux/timekeeping.h>

#define VPD_MB_MAX_THREADS	8
#define VPD_MB_MAX_SIZE		SZ_1M
#define VPD_MB_GRANULE_ORDER	7
/* Not memory: genalloc hands out numbers in the range it is given. */
#define VPD_MB_FLOOR_BASE	SZ_1G

/* One phase of one run, shared by its threads. */
struct vpd_mb_phase {
	struct device *dev;
	size_t size;
	unsigned int iters;
	bool sync;
	atomic_t waiting;
	bool go;
	atomic_t err;
};

struct vpd_mb_thread {
	struct vpd_mb_phase *phase;
	struct completion timed;
	struct completion done;
};

static DEFINE_MUTEX(vpd_mb_lock);
static char vpd_mb_result[224] = "no run yet\n";
static struct dentry *vpd_mb_dir;

static int vpd_mb_loop(struct vpd_mb_phase *p, void *buf, dma_addr_t a)
{
	unsigned int i;

	for (i = 0; i < p->iters; i++) {
		if (p->sync) {
			dma_sync_single_for_device(p->dev, a, p->size, DMA_FROM_DEVICE);
			dma_sync_single_for_cpu(p->dev, a, p->size, DMA_FROM_DEVICE);
		} else {
			a = dma_map_single(p->dev, buf, p->size, DMA_TO_DEVICE);
			if (dma_mapping_error(p->dev, a))
				return -ENOMEM;
			dma_unmap_single(p->dev, a, p->size, DMA_TO_DEVICE);
		}
		cond_resched();
	}
	return 0;
}

static int vpd_mb_thread_fn(void *data)
{
	struct vpd_mb_thread *t = data;
	struct vpd_mb_phase *p = t->phase;
	void *buf = kzalloc(p->size, GFP_KERNEL);
	dma_addr_t a = DMA_MAPPING_ERROR;
	int err = buf ? 0 : -ENOMEM;

	if (!err && p->sync) {
		a = dma_map_single(p->dev, buf, p->size, DMA_FROM_DEVICE);
		if (dma_mapping_error(p->dev, a))
			err = -ENOMEM;
	}
	/* At the start line: the clock starts when every thread is there. */
	atomic_dec(&p->waiting);
	while (!READ_ONCE(p->go))
		cond_resched();
	if (!err)
		err = vpd_mb_loop(p, buf, a);
	complete(&t->timed);

	if (p->sync && !dma_mapping_error(p->dev, a))
		dma_unmap_single(p->dev, a, p->size, DMA_FROM_DEVICE);
	kfree(buf);
	if (err)
		atomic_set(&p->err, err);
	/*
	 * Once done is complete, the module may be unloaded: a thread that
	 * returned here would run freed code. This never returns.
	 */
	kthread_complete_and_exit(&t->done, 0);
}

/* Runs one phase on @nr threads; returns ns per pair, or an error. */
static s64 vpd_mb_phase(struct vpd_mb_phase *p, unsigned int nr)
{
	struct vpd_mb_thread *t;
	struct task_struct *task;
	unsigned int i, started;
	u64 start;

	t = kcalloc(nr, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	atomic_set(&p->waiting, nr);
	for (started = 0; started < nr; started++) {
		t[started].phase = p;
		init_completion(&t[started].timed);
		init_completion(&t[started].done);
		task = kthread_create(vpd_mb_thread_fn, &t[started],
				      "vpd_map_bench/%u", started);
		if (IS_ERR(task)) {
			atomic_set(&p->err, PTR_ERR(task));
			break;
		}
		kthread_bind(task, cpumask_local_spread(started, NUMA_NO_NODE));
		wake_up_process(task);
	}
	/* Threads that will never come must not hold the others back. */
	atomic_sub(nr - started, &p->waiting);
	while (atomic_read(&p->waiting))
		cond_resched();
	start = ktime_get_ns();
	WRITE_ONCE(p->go, true);
	for (i = 0; i < started; i++)
		wait_for_completion(&t[i].timed);
	start = ktime_get_ns() - start;
	for (i = 0; i < started; i++)
		wait_for_completion(&t[i].done);
	kfree(t);
	return atomic_read(&p->err) ?: div_u64(start, (u64)nr * p->iters);
}

/*
 * The floors are timed in batches, the scheduler let in only between
 * them, and the fastest batch gives the floor: whatever else runs on the
 * CPU (a guest still settling after its binds) can only make a batch
 * slower.
 */
#define VPD_MB_FLOOR_BATCHES	8

/*
 * ns per genalloc alloc+free pair of @size, in a region of four of them
 * or 256 KiB, the smallest pool area.
 */
static s64 vpd_mb_floor_genalloc(size_t size, unsigned int iters)
{
	struct gen_pool *gp = gen_pool_create(VPD_MB_GRANULE_ORDER, NUMA_NO_NODE);
	unsigned int n = max(iters / VPD_MB_FLOOR_BATCHES, 1U), b, i;
	u64 start, best = U64_MAX;
	unsigned long addr;
	s64 ns = -ENOMEM;

	if (!gp || gen_pool_add(gp, VPD_MB_FLOOR_BASE,
				max_t(size_t, 4 * size, SZ_256K), NUMA_NO_NODE))
		goto out;
	for (b = 0; b < VPD_MB_FLOOR_BATCHES; b++) {
		start = ktime_get_ns();
		for (i = 0; i < n; i++) {
			addr = gen_pool_alloc(gp, size);
			if (!addr)
				goto out;
			gen_pool_free(gp, addr, size);
		}
		best = min(best, ktime_get_ns() - start);
		cond_resched();
	}
	ns = div_u64(best, n);
out:
	if (gp)
		gen_pool_destroy(gp);
	return ns;
}

/* ns per copy of @size. */
static s64 vpd_mb_floor_copy(size_t size, unsigned int iters)
{
	void *a = kvzalloc(size, GFP_KERNEL), *b = kvzalloc(size, GFP_KERNEL);
	unsigned int n = max(iters / VPD_MB_FLOOR_BATCHES, 1U), j, i;
	u64 start, best = U64_MAX;
	s64 ns = -ENOMEM;

	if (!a || !b)
		goto out;
	for (j = 0; j < VPD_MB_FLOOR_BATCHES; j++) {
		start = ktime_get_ns();
		for (i = 0; i < n; i++) {
			memcpy(b, a, size);
			/* Each copy is made, as the pool's is. */
			barrier();
		}
		best = min(best, ktime_get_ns() - start);
		cond_resched();
	}
	ns = div_u64(best, n);
out:
	kvfree(a);
	kvfree(b);
	return ns;
}

static int vpd_mb_run(struct device *dev, size_t size, unsigned int nr,
		      unsigned int iters)
{
	struct vpd_mb_phase map = { .dev = dev, .size = size, .iters = iters };
	struct vpd_mb_phase sync = map;
	s64 map_ns, sync_ns, genalloc_ns, copy_ns;

	sync.sync = true;
	map_ns = vpd_mb_phase(&map, nr);
	if (map_ns < 0)
		return map_ns;
	sync_ns = vpd_mb_phase(&sync, nr);
	if (sync_ns < 0)
		return sync_ns;
	/* The floors are one thread's: with the one-thread run alone. */
	if (nr > 1) {
		snprintf(vpd_mb_result, sizeof(vpd_mb_result),
			 "device=%s size=%zu threads=%u iterations=%u map_unmap_ns=%lld sync_ns=%lld\n",
			 dev_name(dev), size, nr, iters, map_ns, sync_ns);
		return 0;
	}
	genalloc_ns = vpd_mb_floor_genalloc(size, iters);
	if (genalloc_ns < 0)
		return genalloc_ns;
	copy_ns = vpd_mb_floor_copy(size, iters);
	if (copy_ns < 0)
		return copy_ns;
	snprintf(vpd_mb_result, sizeof(vpd_mb_result),
		 "device=%s size=%zu threads=%u iterations=%u map_unmap_ns=%lld sync_ns=%lld genalloc_ns=%lld copy_ns=%lld\n",
		 dev_name(dev), size, nr, iters, map_ns, sync_ns, genalloc_ns,
		 copy_ns);
	return 0;
}

static ssize_t vpd_mb_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	unsigned int nr, iters;
	struct device *dev;
	char cmd[96], bdf[32];
	size_t size;
	int err;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	if (sscanf(cmd, "%31s %zu %u %u", bdf, &size, &nr, &iters) != 4 ||
	    !size || size > VPD_MB_MAX_SIZE || !nr || nr > VPD_MB_MAX_THREADS ||
	    nr > num_online_cpus() || !iters) {
		pr_err("expected \"<pci address> <bytes, up to %u> <threads, up to %u and the CPUs> <iterations>\"\n",
		       VPD_MB_MAX_SIZE, VPD_MB_MAX_THREADS);
		return -EINVAL;
	}
	dev = bus_find_device_by_name(&pci_bus_type, NULL, bdf);
	if (!dev) {
		pr_err("no PCI device %s\n", bdf);
		return -ENODEV;
	}
	mutex_lock(&vpd_mb_lock);
	err = vpd_mb_run(dev, size, nr, iters);
	mutex_unlock(&vpd_mb_lock);
	put_device(dev);
	return err ?: len;
}

static ssize_t vpd_mb_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&vpd_mb_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, vpd_mb_result,
				      strlen(vpd_mb_result));
	mutex_unlock(&vpd_mb_lock);
	return ret;
}

/* The busy time of the online CPUs and the clock, in ns. */
static int vpd_mb_cpu_show(struct seq_file *m, void *unused)
{
	u64 now, idle, iowait, busy = 0;
	unsigned int cpu;

	cpus_read_lock();
	now = ktime_get_ns();
	for_each_online_cpu(cpu) {
		idle = get_cpu_idle_time_us(cpu, NULL);
		iowait = get_cpu_iowait_time_us(cpu, NULL);
		/* -1: the CPU does not run tick-less, no idle time to the us. */
		if (idle == (u64)-1 || iowait == (u64)-1) {
			cpus_read_unlock();
			return -EOPNOTSUPP;
		}
		busy += now - min(now, (idle + iowait) * NSEC_PER_USEC);
	}
	cpus_read_unlock();
	seq_printf(m, "%llu %llu\n", busy, now);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpd_mb_cpu);

static const struct file_operations vpd_mb_fops = {
	.owner = THIS_MODULE,
	.read = vpd_mb_read,
	.write = vpd_mb_write,
	.llseek = default_llseek,
};

static int __init vpd_mb_init(void)
{
	vpd_mb_dir = debugfs_create_dir("vpd_map_bench", NULL);
	debugfs_create_file("run", 0600, vpd_mb_dir, NULL, &vpd_mb_fops);
	debugfs_create_file("cpu", 0400, vpd_mb_dir, NULL, &vpd_mb_cpu_fops);
	return 0;
}
module_init(vpd_mb_init);

static void __exit vpd_mb_exit(void)
{
	debugfs_remove_recursive(vpd_mb_dir);
}
module_exit(vpd_mb_exit);

MODULE_DESCRIPTION("Times DMA map, unmap and sync through a PCI device's DMA ops");
MODULE_LICENSE("GPL");
