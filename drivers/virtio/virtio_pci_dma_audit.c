// SPDX-License-Identifier: GPL-2.0
/*
 * Audit mode (audit=1): every DMA call a device makes is checked against
 * what it mapped. Distro kernels ship without CONFIG_DMA_API_DEBUG; this
 * is the part of it a virtio transport can do for its own devices.
 *
 * The audit ops wrap the ops of the device's mode (ours, or the
 * platform's where it has an ops table to call) and keep every live
 * mapping in two interval trees: by device address, to find the mapping a
 * sync or unmap belongs to, and by CPU address, to find overlapping
 * device-writable mappings. Each kind of violation is reported once per
 * device, with the caller and a short stack, and counted always. For a
 * device without the audit none of this exists: it has its mode's ops
 * and nothing else.
 */

#include <linux/interval_tree.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/sched/task_stack.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/vmalloc.h>

#include "virtio_pci_dma.h"
#include "virtio_pci_dma_trace.h"

#define VPD_AUDIT_STACK 8
#define VPD_AUDIT_RECENT 32
#define VPD_AUDIT_LEAKS_SHOWN 16

static const char * const vpd_audit_names[VPD_AUDIT_KINDS] = {
	[VPD_AUDIT_UNMAP_NOT_MAPPED] = "unmap of an address that is not mapped",
	[VPD_AUDIT_DOUBLE_UNMAP] = "double unmap",
	[VPD_AUDIT_SIZE_MISMATCH] = "unmap size differs from the mapping",
	[VPD_AUDIT_DIR_MISMATCH] = "unmap direction differs from the mapping",
	[VPD_AUDIT_SYNC_NOT_MAPPED] = "sync of an address that is not mapped",
	[VPD_AUDIT_SYNC_BEYOND] = "sync beyond the mapping",
	[VPD_AUDIT_SYNC_DIR] = "sync direction contradicts the mapping",
	[VPD_AUDIT_BAD_MEMORY] = "mapping of memory that must not be mapped",
	[VPD_AUDIT_FREE_MISMATCH] = "coherent free matches no allocation",
	[VPD_AUDIT_BEYOND_MASK] = "mapping beyond the DMA mask",
	[VPD_AUDIT_SEG_SIZE] = "mapping longer than the maximum segment size",
	[VPD_AUDIT_SEG_BOUNDARY] = "mapping crosses the segment boundary",
	[VPD_AUDIT_OVERLAP] = "overlapping device-writable mappings",
	[VPD_AUDIT_GUARD] = "device wrote past its buffer (guard bytes)",
	[VPD_AUDIT_POISON] = "device wrote to a freed slot (late DMA)",
	[VPD_AUDIT_LEAK] = "mapping or allocation leaked at unbind",
};

static const char * const vpd_audit_keys[VPD_AUDIT_KINDS] = {
	[VPD_AUDIT_UNMAP_NOT_MAPPED] = "unmap_not_mapped",
	[VPD_AUDIT_DOUBLE_UNMAP] = "double_unmap",
	[VPD_AUDIT_SIZE_MISMATCH] = "size_mismatch",
	[VPD_AUDIT_DIR_MISMATCH] = "dir_mismatch",
	[VPD_AUDIT_SYNC_NOT_MAPPED] = "sync_not_mapped",
	[VPD_AUDIT_SYNC_BEYOND] = "sync_beyond",
	[VPD_AUDIT_SYNC_DIR] = "sync_dir",
	[VPD_AUDIT_BAD_MEMORY] = "bad_memory",
	[VPD_AUDIT_FREE_MISMATCH] = "free_mismatch",
	[VPD_AUDIT_BEYOND_MASK] = "beyond_mask",
	[VPD_AUDIT_SEG_SIZE] = "seg_size",
	[VPD_AUDIT_SEG_BOUNDARY] = "seg_boundary",
	[VPD_AUDIT_OVERLAP] = "overlap",
	[VPD_AUDIT_GUARD] = "guard",
	[VPD_AUDIT_POISON] = "poison",
	[VPD_AUDIT_LEAK] = "leak",
};

/* The name debugfs and the vpd_audit tracepoint give @kind. */
const char *vpd_audit_key(enum vpd_audit_kind kind)
{
	return vpd_audit_keys[kind];
}

/**
 * struct vpd_audit_map - one live mapping or coherent allocation
 * @by_dma: its place in the tree of device addresses
 * @by_phys: its place in the tree of CPU addresses
 * @size: its length
 * @dir: its direction (DMA_BIDIRECTIONAL for coherent memory)
 * @coherent: a coherent allocation, not a streaming mapping
 * @mmio: a streaming mapping of MMIO (dma_map_resource()), not of memory
 * @cpu_addr: the CPU address of a coherent allocation
 * @stack: who made it
 * @nr_stack: entries in @stack
 */
struct vpd_audit_map {
	struct interval_tree_node by_dma;
	struct interval_tree_node by_phys;
	size_t size;
	enum dma_data_direction dir;
	bool coherent;
	bool mmio;
	void *cpu_addr;
	unsigned long stack[VPD_AUDIT_STACK];
	unsigned int nr_stack;
};

/**
 * struct vpd_audit - what the audit knows of one device
 * @inner: the ops the audit wraps
 * @lock: protects the trees, @recent and the marks
 * @by_dma: live mappings by device address
 * @by_phys: live streaming mappings by CPU address
 * @recent: device addresses of the last unmaps, to tell a double unmap
 * @next_recent: where the next one goes in @recent
 * @counts: violations of each kind
 * @live: mappings and allocations live now
 * @live_bytes: their bytes
 * @live_max: the most ever live at once
 * @live_bytes_max: the most bytes ever live at once
 * @untracked: mappings and allocations refused for want of memory for
 *	their record
 */
struct vpd_audit {
	const struct dma_map_ops *inner;
	spinlock_t lock; /* the trees, the recent unmaps, the marks */
	struct rb_root_cached by_dma;
	struct rb_root_cached by_phys;
	dma_addr_t recent[VPD_AUDIT_RECENT];
	unsigned int next_recent;
	atomic_t counts[VPD_AUDIT_KINDS];
	long live;
	long live_bytes;
	long live_max;
	long live_bytes_max;
	atomic_t untracked;
};

/*
 * The records, in a cache of their own: many small allocations in atomic
 * context, and a name failslab's cache filter can single out (the debug
 * pass fails them on purpose: a mapping without a record is refused).
 */
static struct kmem_cache *vpd_audit_cache;

/* Made at load: policy= may ask for the audit of any device later. */
int vpd_audit_init(void)
{
	vpd_audit_cache = KMEM_CACHE(vpd_audit_map, 0);
	return vpd_audit_cache ? 0 : -ENOMEM;
}

void vpd_audit_exit(void)
{
	kmem_cache_destroy(vpd_audit_cache);
}

static struct vpd_audit *vpd_audit_of(struct device *dev)
{
	return vpd_dma_of(dev)->audit;
}

/* The first frame outside this module and the DMA core: the caller. */
static unsigned long vpd_audit_caller(const unsigned long *stack,
				      unsigned int n)
{
	char sym[KSYM_SYMBOL_LEN];
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (within_module(stack[i], THIS_MODULE))
			continue;
		sprint_symbol_no_offset(sym, stack[i]);
		if (!strncmp(sym, "dma_", 4) || !strncmp(sym, "__dma_", 6) ||
		    !strncmp(sym, "debug_dma", 9))
			continue;
		return stack[i];
	}
	return n ? stack[n - 1] : 0;
}

static void vpd_audit_print(struct device *dev, enum vpd_audit_kind kind,
			    const unsigned long *stack, unsigned int n,
			    const char *what)
{
	unsigned int i;

	dev_err(dev, "audit: %s: %s, caller %pS\n", vpd_audit_names[kind], what,
		(void *)vpd_audit_caller(stack, n));
	for (i = 0; i < n && i < 6; i++)
		dev_err(dev, "audit:   %pS\n", (void *)stack[i]);
}

/*
 * Counts a violation at @addr (a device address; for bad memory, the
 * CPU's physical one); the first of its kind on this device is printed,
 * with @stack (of the mapping concerned) or, if NULL, the current one.
 * Each one goes to the vpd_audit tracepoint, with the caller of that
 * stack: for an unmap whose size or direction differs, the one that
 * made the mapping.
 */
static __printf(6, 7)
void vpd_audit_violation(struct device *dev, enum vpd_audit_kind kind,
			 const unsigned long *stack, unsigned int n,
			 dma_addr_t addr, const char *fmt, ...)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	unsigned long here[VPD_AUDIT_STACK];
	char what[128];
	va_list args;
	bool first;

	if (!a)
		return;
	first = atomic_inc_return(&a->counts[kind]) == 1;
	if (!first && !trace_vpd_audit_enabled())
		return;
	if (!stack) {
		n = stack_trace_save(here, ARRAY_SIZE(here), 2);
		stack = here;
	}
	trace_vpd_audit(to_pci_dev(dev), kind, addr, vpd_audit_caller(stack, n));
	if (!first)
		return;
	va_start(args, fmt);
	vsnprintf(what, sizeof(what), fmt, args);
	va_end(args);
	vpd_audit_print(dev, kind, stack, n, what);
}

/**
 * vpd_audit_report() - report a violation found outside the audit ops
 * @dev: the device
 * @kind: what it is
 * @addr: the device address of the mapping concerned
 *
 * The pool reports here what its guard bytes and poison catch; the
 * caller named is the one that made the mapping at @addr while it is
 * tracked, else the current one: the guards are checked at unmap, after
 * the audit let go of the mapping, so that is the caller that unmapped.
 */
void vpd_audit_report(struct device *dev, enum vpd_audit_kind kind,
		      dma_addr_t addr)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	struct interval_tree_node *node;
	struct vpd_audit_map m = { };
	unsigned long flags;

	/* The pool guards its slots even where the audit could not start. */
	if (!a)
		return;
	spin_lock_irqsave(&a->lock, flags);
	node = interval_tree_iter_first(&a->by_dma, addr, addr);
	if (node)
		m = *container_of(node, struct vpd_audit_map, by_dma);
	spin_unlock_irqrestore(&a->lock, flags);
	vpd_audit_violation(dev, kind, m.nr_stack ? m.stack : NULL, m.nr_stack,
			    addr, "at %pad", &addr);
}

static bool vpd_writable(enum dma_data_direction dir)
{
	return dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL;
}

/*
 * A record for a mapping about to be made. It is taken before the mapping
 * is, so that a mapping is never live without one: an untracked mapping
 * would later be reported as not mapped, and its unmap and syncs dropped.
 */
static struct vpd_audit_map *vpd_audit_new(struct vpd_audit *a, gfp_t gfp)
{
	struct vpd_audit_map *m = kmem_cache_zalloc(vpd_audit_cache, gfp | __GFP_NOWARN);

	if (!m)
		atomic_inc(&a->untracked);
	return m;
}

/* Memory that streaming mappings share is tracked by CPU address too. */
static bool vpd_audit_by_phys(const struct vpd_audit_map *m)
{
	return !m->coherent && !m->mmio;
}

/* Tracks a new mapping; reports one overlapping a device-writable one. */
static void vpd_audit_track(struct device *dev, struct vpd_audit_map *m,
			    dma_addr_t addr, phys_addr_t phys, size_t size,
			    enum dma_data_direction dir, void *cpu_addr)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	struct interval_tree_node *node;
	bool overlap = false;
	unsigned long flags;

	m->size = size;
	m->dir = dir;
	m->coherent = !!cpu_addr;
	m->cpu_addr = cpu_addr;
	m->by_dma.start = addr;
	m->by_dma.last = addr + size - 1;
	m->by_phys.start = phys;
	m->by_phys.last = phys + size - 1;
	m->nr_stack = stack_trace_save(m->stack, VPD_AUDIT_STACK, 2);

	spin_lock_irqsave(&a->lock, flags);
	if (vpd_audit_by_phys(m)) {
		for (node = interval_tree_iter_first(&a->by_phys, phys, phys + size - 1);
		     node && !overlap;
		     node = interval_tree_iter_next(node, phys, phys + size - 1))
			overlap = vpd_writable(dir) ||
				  vpd_writable(container_of(node, struct vpd_audit_map,
							    by_phys)->dir);
		interval_tree_insert(&m->by_phys, &a->by_phys);
	}
	interval_tree_insert(&m->by_dma, &a->by_dma);
	a->live++;
	a->live_bytes += size;
	a->live_max = max(a->live_max, a->live);
	a->live_bytes_max = max(a->live_bytes_max, a->live_bytes);
	spin_unlock_irqrestore(&a->lock, flags);

	if (overlap)
		vpd_audit_violation(dev, VPD_AUDIT_OVERLAP, NULL, 0, addr,
				    "%pa+%zu overlaps a live mapping", &phys, size);
}

/* Takes the mapping that starts at @addr out of the trees, or NULL. */
static struct vpd_audit_map *vpd_audit_untrack(struct vpd_audit *a,
					       dma_addr_t addr, bool coherent)
{
	struct interval_tree_node *node;
	struct vpd_audit_map *m;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	for (node = interval_tree_iter_first(&a->by_dma, addr, addr); node;
	     node = interval_tree_iter_next(node, addr, addr)) {
		m = container_of(node, struct vpd_audit_map, by_dma);
		if (node->start == addr && m->coherent == coherent)
			break;
	}
	if (!node) {
		spin_unlock_irqrestore(&a->lock, flags);
		return NULL;
	}
	interval_tree_remove(&m->by_dma, &a->by_dma);
	if (vpd_audit_by_phys(m))
		interval_tree_remove(&m->by_phys, &a->by_phys);
	a->live--;
	a->live_bytes -= m->size;
	a->recent[a->next_recent++ % VPD_AUDIT_RECENT] = addr;
	spin_unlock_irqrestore(&a->lock, flags);
	return m;
}

static bool vpd_audit_recently_unmapped(struct vpd_audit *a, dma_addr_t addr)
{
	unsigned long flags;
	bool found = false;
	unsigned int i;

	spin_lock_irqsave(&a->lock, flags);
	for (i = 0; i < VPD_AUDIT_RECENT && !found; i++)
		found = a->recent[i] == addr;
	spin_unlock_irqrestore(&a->lock, flags);
	return found;
}

/*
 * What a buffer may not be: on a stack, or vmalloc memory (neither is
 * where page_address() says; dma_map_single() of them makes up a page).
 */
static bool vpd_audit_memory_ok(struct device *dev, phys_addr_t phys,
				size_t size)
{
	void *addr = phys_to_virt(phys);

	if (object_is_on_stack(addr)) {
		vpd_audit_violation(dev, VPD_AUDIT_BAD_MEMORY, NULL, 0, phys,
				    "%zu bytes on the stack", size);
		return false;
	}
	if (is_vmalloc_addr(addr) || !pfn_valid(PHYS_PFN(phys))) {
		vpd_audit_violation(dev, VPD_AUDIT_BAD_MEMORY, NULL, 0, phys,
				    "%zu bytes of vmalloc or other non-linear memory",
				    size);
		return false;
	}
	return true;
}

/* The device's limits; @addr is where the mapping lands for the device. */
static void vpd_audit_limits(struct device *dev, dma_addr_t addr, size_t size)
{
	unsigned long boundary = dma_get_seg_boundary(dev);

	if (addr + size - 1 > *dev->dma_mask)
		vpd_audit_violation(dev, VPD_AUDIT_BEYOND_MASK, NULL, 0, addr,
				    "%pad+%zu, mask %llx", &addr, size,
				    *dev->dma_mask);
	if (size > dma_get_max_seg_size(dev))
		vpd_audit_violation(dev, VPD_AUDIT_SEG_SIZE, NULL, 0, addr,
				    "%zu bytes, at most %u", size,
				    dma_get_max_seg_size(dev));
	if ((addr & ~(dma_addr_t)boundary) !=
	    ((addr + size - 1) & ~(dma_addr_t)boundary))
		vpd_audit_violation(dev, VPD_AUDIT_SEG_BOUNDARY, NULL, 0, addr,
				    "%pad+%zu crosses a %lx boundary", &addr,
				    size, boundary + 1);
}

/* MMIO has no page to check: only where it lands for the device. */
static dma_addr_t vpd_audit_map_phys(struct device *dev, phys_addr_t phys,
				     size_t size, enum dma_data_direction dir,
				     unsigned long attrs)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	struct vpd_audit_map *m;
	dma_addr_t addr;

	/* Nothing to map, and an empty interval could not be tracked. */
	if (!size)
		return DMA_MAPPING_ERROR;
	if (!(attrs & VPD_ATTR_MMIO) &&
	    !vpd_audit_memory_ok(dev, phys, size))
		return DMA_MAPPING_ERROR;
	/* A refused mapping is retried: no reason to take the reserves. */
	m = vpd_audit_new(a, GFP_NOWAIT);
	if (!m)
		return DMA_MAPPING_ERROR;
	m->mmio = attrs & VPD_ATTR_MMIO;
	/* Direct mode hands out physical addresses: check what it would. */
	if (a->inner == &vpd_direct_ops)
		vpd_audit_limits(dev, phys, size);
	addr = vpd_ops_map_phys(a->inner, dev, phys, size, dir, attrs);
	if (addr == DMA_MAPPING_ERROR) {
		kmem_cache_free(vpd_audit_cache, m);
		return addr;
	}
	if (a->inner != &vpd_direct_ops)
		vpd_audit_limits(dev, addr, size);
	vpd_audit_track(dev, m, addr, phys, size, dir, NULL);
	return addr;
}

static void vpd_audit_unmap_phys(struct device *dev, dma_addr_t addr,
				 size_t size, enum dma_data_direction dir,
				 unsigned long attrs)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	struct vpd_audit_map *m;

	/*
	 * Found and taken out in one critical section: until the inner
	 * unmap below, no other CPU can be handed this address, so the
	 * record is this mapping's and no one else's.
	 */
	m = vpd_audit_untrack(a, addr, false);
	/* What was never mapped is not passed on: that could hit a live mapping. */
	if (!m) {
		if (vpd_audit_recently_unmapped(a, addr))
			vpd_audit_violation(dev, VPD_AUDIT_DOUBLE_UNMAP, NULL, 0, addr,
					    "%pad+%zu", &addr, size);
		else
			vpd_audit_violation(dev, VPD_AUDIT_UNMAP_NOT_MAPPED, NULL, 0, addr,
					    "%pad+%zu", &addr, size);
		return;
	}
	if (size != m->size)
		vpd_audit_violation(dev, VPD_AUDIT_SIZE_MISMATCH, m->stack,
				    m->nr_stack, addr, "%pad mapped %zu, unmapped %zu",
				    &addr, m->size, size);
	if (dir != m->dir)
		vpd_audit_violation(dev, VPD_AUDIT_DIR_MISMATCH, m->stack,
				    m->nr_stack, addr, "%pad mapped %d, unmapped %d",
				    &addr, m->dir, dir);
	/* The mapping as it was made, whatever the caller says. */
	attrs &= ~VPD_ATTR_MMIO;
	vpd_ops_unmap_phys(a->inner, dev, addr, m->size, m->dir,
			   attrs | (m->mmio ? VPD_ATTR_MMIO : 0));
	kmem_cache_free(vpd_audit_cache, m);
}

VPD_DEFINE_PAGE_OPS(vpd_audit)

static void vpd_audit_sync(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, bool for_cpu)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	struct interval_tree_node *node;
	enum dma_data_direction mapped = DMA_NONE;
	bool inside = false, partly = false;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	for (node = interval_tree_iter_first(&a->by_dma, addr, addr + size - 1);
	     node && !inside;
	     node = interval_tree_iter_next(node, addr, addr + size - 1)) {
		inside = node->start <= addr && addr + size - 1 <= node->last;
		partly = true;
		mapped = container_of(node, struct vpd_audit_map, by_dma)->dir;
	}
	spin_unlock_irqrestore(&a->lock, flags);

	if (!inside) {
		vpd_audit_violation(dev, partly ? VPD_AUDIT_SYNC_BEYOND :
					       VPD_AUDIT_SYNC_NOT_MAPPED,
				    NULL, 0, addr, "%pad+%zu", &addr, size);
		return;
	}
	if ((mapped != DMA_BIDIRECTIONAL && dir != mapped) ||
	    (for_cpu && mapped == DMA_TO_DEVICE) ||
	    (!for_cpu && mapped == DMA_FROM_DEVICE && dir != DMA_FROM_DEVICE))
		vpd_audit_violation(dev, VPD_AUDIT_SYNC_DIR, NULL, 0, addr,
				    "sync for %s, direction %d, of a mapping %d",
				    for_cpu ? "cpu" : "device", dir, mapped);
	if (for_cpu && a->inner->sync_single_for_cpu)
		a->inner->sync_single_for_cpu(dev, addr, size, dir);
	else if (!for_cpu && a->inner->sync_single_for_device)
		a->inner->sync_single_for_device(dev, addr, size, dir);
}

static void vpd_audit_sync_for_cpu(struct device *dev, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir)
{
	vpd_audit_sync(dev, addr, size, dir, true);
}

static void vpd_audit_sync_for_device(struct device *dev, dma_addr_t addr,
				      size_t size, enum dma_data_direction dir)
{
	vpd_audit_sync(dev, addr, size, dir, false);
}

static void *vpd_audit_alloc(struct device *dev, size_t size,
			     dma_addr_t *dma_handle, gfp_t gfp,
			     unsigned long attrs)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	struct vpd_audit_map *m;
	void *cpu_addr;

	/* The caller's constraints (NOIO, NOWAIT...), not its zone. */
	m = vpd_audit_new(a, gfp & ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM |
				     __GFP_COMP));
	if (!m)
		return NULL;
	cpu_addr = a->inner->alloc(dev, size, dma_handle, gfp, attrs);
	if (!cpu_addr) {
		kmem_cache_free(vpd_audit_cache, m);
		return NULL;
	}
	vpd_audit_track(dev, m, *dma_handle, 0, size, DMA_BIDIRECTIONAL, cpu_addr);
	return cpu_addr;
}

static void vpd_audit_free(struct device *dev, size_t size, void *cpu_addr,
			   dma_addr_t dma_handle, unsigned long attrs)
{
	struct vpd_audit *a = vpd_audit_of(dev);
	struct vpd_audit_map *m = vpd_audit_untrack(a, dma_handle, true);

	if (!m || m->size != size || m->cpu_addr != cpu_addr) {
		vpd_audit_violation(dev, VPD_AUDIT_FREE_MISMATCH, NULL, 0, dma_handle,
				    "%zu bytes at %pad", size, &dma_handle);
		/* Only what is known to be an allocation is given back. */
		if (m) {
			a->inner->free(dev, m->size, m->cpu_addr, dma_handle, attrs);
			kmem_cache_free(vpd_audit_cache, m);
		}
		return;
	}
	a->inner->free(dev, size, cpu_addr, dma_handle, attrs);
	kmem_cache_free(vpd_audit_cache, m);
}

static size_t vpd_audit_max_mapping_size(struct device *dev)
{
	struct vpd_audit *a = vpd_audit_of(dev);

	return a->inner->max_mapping_size ? a->inner->max_mapping_size(dev) :
					    SIZE_MAX;
}

static const struct dma_map_ops vpd_audit_ops = {
	.alloc = vpd_audit_alloc,
	.free = vpd_audit_free,
	VPD_MAP_OPS(vpd_audit),
	.map_sg = vpd_map_sg,
	.unmap_sg = vpd_unmap_sg,
	.sync_single_for_cpu = vpd_audit_sync_for_cpu,
	.sync_single_for_device = vpd_audit_sync_for_device,
	.sync_sg_for_cpu = vpd_sync_sg_for_cpu,
	.sync_sg_for_device = vpd_sync_sg_for_device,
	.max_mapping_size = vpd_audit_max_mapping_size,
};

/**
 * vpd_audit_wrap() - put the audit in front of a device's ops
 * @dma: the device's DMA state
 * @inner: the ops the mode chose, with every callback the audit forwards
 *
 * Return: the ops to install, or @inner if the device's policy has no
 * audit or it cannot start.
 */
const struct dma_map_ops *vpd_audit_wrap(struct vpd_dma *dma,
					 const struct dma_map_ops *inner)
{
	struct vpd_audit *a;

	if (!dma->policy.audit)
		return inner;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return inner;
	a->inner = inner;
	spin_lock_init(&a->lock);
	a->by_dma = RB_ROOT_CACHED;
	a->by_phys = RB_ROOT_CACHED;
	dma->audit = a;
	return &vpd_audit_ops;
}

/**
 * vpd_audit_unwrap() - report what a device leaked and drop the audit
 * @dma: the device's DMA state
 * @dev: the device, unbinding
 *
 * Every mapping or allocation still live is a leak: each is reported (the
 * first few in full) with its size, direction and the caller that made it.
 */
void vpd_audit_unwrap(struct vpd_dma *dma, struct device *dev)
{
	struct vpd_audit *a = dma->audit;
	struct interval_tree_node *node;
	struct vpd_audit_map *m;
	unsigned int n = 0;
	dma_addr_t start;
	char what[96];

	/* The device's ops are no longer ours: nothing else touches @a. */
	if (!a)
		return;
	while ((node = interval_tree_iter_first(&a->by_dma, 0, ULONG_MAX))) {
		m = container_of(node, struct vpd_audit_map, by_dma);
		atomic_inc(&a->counts[VPD_AUDIT_LEAK]);
		if (n++ < VPD_AUDIT_LEAKS_SHOWN) {
			start = node->start;
			snprintf(what, sizeof(what), "%s of %zu bytes at %pad, direction %d",
				 m->coherent ? "allocation" : "mapping", m->size,
				 &start, m->dir);
			vpd_audit_print(dev, VPD_AUDIT_LEAK, m->stack, m->nr_stack, what);
		}
		interval_tree_remove(&m->by_dma, &a->by_dma);
		if (vpd_audit_by_phys(m))
			interval_tree_remove(&m->by_phys, &a->by_phys);
		kmem_cache_free(vpd_audit_cache, m);
	}
	if (n > VPD_AUDIT_LEAKS_SHOWN)
		dev_err(dev, "audit: %u leaks in all\n", n);
	dma->audit = NULL;
	kfree(a);
}

/* The debugfs "audit" file: every kind with its count, and the marks. */
int vpd_audit_show(struct seq_file *m, struct vpd_dma *dma)
{
	struct vpd_audit *a = dma->audit;
	unsigned long flags;
	long v[4];
	int k;

	if (!a) {
		seq_puts(m, "off\n");
		return 0;
	}
	for (k = 0; k < VPD_AUDIT_KINDS; k++)
		seq_printf(m, "%s %d\n", vpd_audit_keys[k], atomic_read(&a->counts[k]));
	spin_lock_irqsave(&a->lock, flags);
	v[0] = a->live;
	v[1] = a->live_bytes;
	v[2] = a->live_max;
	v[3] = a->live_bytes_max;
	spin_unlock_irqrestore(&a->lock, flags);
	seq_printf(m, "live %ld\nlive_bytes %ld\nlive_max %ld\nlive_bytes_max %ld\nuntracked %d\n",
		   v[0], v[1], v[2], v[3], atomic_read(&a->untracked));
	return 0;
}
