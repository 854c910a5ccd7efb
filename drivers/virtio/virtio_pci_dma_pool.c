// SPDX-License-Identifier: GPL-2.0
/*
 * Pool mode: one region per device, made visible to the device once at
 * probe, and every buffer bounced through it.
 *
 * With ACCESS_PLATFORM the region comes from the platform's ops: one IOMMU
 * mapping for the device's lifetime, or shared memory in an encrypted
 * guest. Without it the device is handed guest-physical addresses of the
 * region, which is made shared with the host where guest memory is
 * encrypted. Either way there is no per-I/O IOMMU work, and the device
 * never sees anything but the pool.
 *
 * The region is managed by genalloc, by device address: alignment is what
 * the device sees (a region from iommu-dma is vmapped, its CPU address
 * aligned to a page only). It is cut into a few areas, one genalloc pool
 * each, which CPUs take in turn, and each area is searched next-fit from
 * where its last allocation ended, as swiotlb does: while there are no
 * more CPUs than areas, CPUs mapping at once write no shared cache line,
 * and a map does not scan past the slots in use from the region's start.
 * What each slot bounces is kept in a table
 * outside the region, per granule, so that nothing the device can write
 * steers a copy.
 *
 * What the region cannot hold, now or ever (a request larger than the
 * pool), bounces through a buffer of its own, from the page allocator,
 * that the device reaches the way it reaches the region: an overflow.
 * Exhaustion then costs a copy and an allocation, never the I/O; the
 * device still sees nothing but bounce memory.
 */

#include <linux/cache.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/genalloc.h>
#include <linux/interval_tree.h>
#include <linux/mm.h>
#include <linux/set_memory.h>
#include <linux/virtio_ring.h>

#include "virtio_pci_dma.h"
#include "virtio_pci_dma_trace.h"

#define VPD_POOL_ORDER 7		/* 128-byte granules */
#define VPD_POOL_GRANULE BIT(VPD_POOL_ORDER)
#define VPD_POOL_MIN_SIZE SZ_64K

/*
 * An area holds four of the largest mappings (a SCSI host's 64 KiB
 * segments where a sixteenth of the pool is less), guards included, and
 * the largest ring the device may ask for, at its alignment; there are at
 * most four, each a quarter of the pool or more. A mapping or a ring must
 * fit one area: a mapping that does not goes to the overflow.
 */
#define VPD_POOL_AREA_MIN (4 * max_t(size_t, SZ_64K, PAGE_SIZE))
#define VPD_POOL_AREAS_MAX 4

/*
 * With the audit on, each slot has a granule of guard bytes on either side
 * (a device writing past its buffer changes them) and free memory holds
 * poison (a device writing after its buffer was unmapped changes it).
 */
#define VPD_POOL_GUARD VPD_POOL_GRANULE
#define VPD_POOL_GUARD_BYTE 0xfd
#define VPD_POOL_POISON_BYTE 0x6b

/**
 * struct vpd_pool_slot - what a granule of the region is used for
 * @orig: at a mapping's first granule, the CPU buffer it bounces
 * @len: at a mapping's first granule, its length (0: no mapping starts here)
 * @head: the first granule of the mapping this granule belongs to
 */
struct vpd_pool_slot {
	phys_addr_t orig;
	u32 len;
	u32 head;
};

/**
 * struct vpd_pool_area - a part of the region that CPUs take in turn
 * @gp: its allocator, one chunk
 * @start: the chunk's first device address
 * @size: the chunk's size
 * @reserve: what receive buffers leave free, see vpd_pool_may_take()
 * @hint: the bit after the last allocation: where the next search starts
 * @peak: about the most it has had taken, in bytes; when it grows the
 *	pool's high-water mark is brought up to date
 */
struct vpd_pool_area {
	struct gen_pool *gp;
	dma_addr_t start;
	size_t size;
	size_t reserve;
	unsigned long hint;
	size_t peak;
} ____cacheline_aligned_in_smp;

/**
 * enum vpd_pool_view - how the device reaches the region, and so what
 *	makes an overflow buffer visible to it, in atomic context
 * @VPD_POOL_VIEW_NONE: nothing can (a platform region in an encrypted
 *	guest, a non-coherent or untrusted device, or no window could be
 *	had from iommu-dma): no pool then, vpd_pool_create() fails
 *	with -EOPNOTSUPP
 * @VPD_POOL_VIEW_GUEST: guest-physical addresses, as in direct mode
 * @VPD_POOL_VIEW_DIRECT: the DMA core's direct mapping (phys_to_dma())
 * @VPD_POOL_VIEW_OPS: the platform's ops table (an IOMMU, TCEs)
 * @VPD_POOL_VIEW_IOMMU: a window of IOVA iommu-dma lent at probe, mapped
 *	with the IOMMU API (virtio_pci_dma_iova.c)
 * @VPD_POOL_VIEW_SHARED: guest-physical addresses of buffers shared with
 *	the host ahead of time (virtio_pci_dma_shared.c)
 */
enum vpd_pool_view {
	VPD_POOL_VIEW_NONE,
	VPD_POOL_VIEW_GUEST,
	VPD_POOL_VIEW_DIRECT,
	VPD_POOL_VIEW_OPS,
	VPD_POOL_VIEW_IOMMU,
	VPD_POOL_VIEW_SHARED,
};

/*
 * How many of the largest segments an IOVA window or the shared buffers
 * hold at once, at least: as many as QEMU's largest queue (1024) has
 * descriptors, and more for a device with larger queues (no chain is
 * longer than its queue), so that any one request fits.
 */
#define VPD_POOL_WINDOW_ENTRIES 1024

/**
 * struct vpd_pool_overflow - a mapping the region could not hold
 * @node: its device addresses, in the pool's overflow tree
 * @vaddr: the bounce buffer, whole pages
 * @orig: the CPU buffer it bounces
 * @len: the mapping's length
 * @dir: its direction, as the platform's ops were given it
 * @shared: the shared buffer @vaddr is, for %VPD_POOL_VIEW_SHARED
 */
struct vpd_pool_overflow {
	struct interval_tree_node node;
	struct vpd_shared_buf *shared;
	void *vaddr;
	phys_addr_t orig;
	size_t len;
	enum dma_data_direction dir;
};

/**
 * struct vpd_pool - the bounce region of one device
 * @areas: the region's parts, which CPUs take in turn
 * @nareas: how many, each as large but the last, which has the rest
 * @vaddr: the region, as the CPU sees it
 * @base: the region, as the device sees it
 * @size: its size
 * @platform: allocated through the platform's ops (else guest-physical)
 * @decrypted: made shared with the host (encrypted guests)
 * @guarded: slots have guard bytes and free memory is poisoned (audit)
 * @slots: one per granule
 * @view: how an overflow buffer is made visible to the device
 * @platform_ops: the platform's ops, for %VPD_POOL_VIEW_OPS
 * @window: the IOVA window, for %VPD_POOL_VIEW_IOMMU
 * @shared: the buffers shared with the host, for %VPD_POOL_VIEW_SHARED
 * @direct_limit: the platform's bus_dma_limit, for %VPD_POOL_VIEW_DIRECT
 * @overflow_lock: protects @overflow
 * @overflow: live overflow mappings, by device address
 * @stats: what debugfs shows
 */
struct vpd_pool {
	struct vpd_pool_area *areas;
	unsigned int nareas;
	void *vaddr;
	dma_addr_t base;
	size_t size;
	bool platform;
	bool decrypted;
	bool guarded;
	struct vpd_pool_slot *slots;
	enum vpd_pool_view view;
	const struct dma_map_ops *platform_ops;
	struct vpd_iova_window *window;
	struct vpd_shared *shared;
	u64 direct_limit;
	spinlock_t overflow_lock; /* the overflow tree */
	struct rb_root_cached overflow;
	struct vpd_pool_stats stats;
};

/* The largest block the page allocator gives in one piece. */
size_t vpd_pool_max_size(void)
{
	return MAX_ORDER_NR_PAGES << PAGE_SHIFT;
}

/**
 * vpd_pool_check_size() - is a pool_size acceptable?
 * @size: the size asked for
 *
 * Return: NULL, or why not.
 */
const char *vpd_pool_check_size(size_t size)
{
	if (size < VPD_POOL_MIN_SIZE)
		return "smaller than 64 KiB";
	if (size > vpd_pool_max_size())
		return "larger than the page allocator gives in one piece";
	if (!PAGE_ALIGNED(size))
		return "not a multiple of the page size";
	return NULL;
}

static struct vpd_pool *vpd_pool_of(struct device *dev)
{
	return vpd_dma_of(dev)->pool;
}

static size_t vpd_pool_area_used(struct vpd_pool_area *area)
{
	return area->size - gen_pool_avail(area->gp);
}

/*
 * The high-water mark, lazily: the pool's use is summed only when an
 * area's own use reaches a new peak, which after the first few requests
 * is rare, so that a map writes no shared line for it. It can miss a peak
 * that no area's own peak accompanies: it is a lower bound.
 */
static void vpd_pool_account(struct vpd_pool *pool, struct vpd_pool_area *area)
{
	size_t used = vpd_pool_area_used(area);
	s64 max;

	if (used <= READ_ONCE(area->peak))
		return;
	WRITE_ONCE(area->peak, used);
	used = vpd_pool_used(pool);
	max = atomic64_read(&pool->stats.used_max);
	while ((s64)used > max) {
		s64 seen = atomic64_cmpxchg(&pool->stats.used_max, max, used);

		if (seen == max)
			break;
		max = seen;
	}
}

/* Gets the region's memory; sets base and the flags saying how. */
static void *vpd_pool_region_alloc(struct vpd_pool *pool, struct pci_dev *pdev,
				   bool access_platform, bool arch_wants)
{
	struct device *dev = &pdev->dev;
	unsigned int npages = pool->size >> PAGE_SHIFT;
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO;
	void *vaddr;

	if (access_platform) {
		/* The platform's ops are still the device's at this point. */
		vaddr = dma_alloc_coherent(dev, pool->size, &pool->base, GFP_KERNEL);
		pool->platform = !!vaddr;
		if (vaddr)
			atomic64_inc(&pool->stats.platform_maps);
		return vaddr;
	}

	if (dma_get_mask(dev) < DMA_BIT_MASK(64))
		gfp |= GFP_DMA32;
	vaddr = alloc_pages_exact(pool->size, gfp);
	if (!vaddr)
		return NULL;
	if (arch_wants && set_memory_decrypted((unsigned long)vaddr, npages)) {
		/* Pages in an unknown state must not go back to the allocator. */
		pci_err(pdev, "pool: could not share the region with the host\n");
		return NULL;
	}
	pool->decrypted = arch_wants;
	pool->base = virt_to_phys(vaddr);
	return vaddr;
}

/*
 * One mapping may take a sixteenth of the pool, so that many requests
 * stay in flight at once, and never less than a page: the block layer
 * takes no smaller segment (64 KiB pages on pseries). What the region
 * cannot hold goes to the overflow.
 */
static size_t vpd_pool_max_mapping(struct vpd_pool *pool)
{
	return max_t(size_t, pool->size / 16, PAGE_SIZE);
}

/*
 * The largest segment a driver may post, which the overflow must take:
 * ours for virtio-blk, which asks dma_max_mapping_size(); a SCSI host's
 * own, from its template or the block layer's 64 KiB
 * (BLK_MAX_SEGMENT_SIZE) where, as virtio_scsi's, it sets none.
 */
static size_t vpd_pool_max_segment(struct vpd_pool *pool)
{
	return max_t(size_t, vpd_pool_max_mapping(pool), SZ_64K);
}

static unsigned int vpd_pool_overflow_entries(struct vpd_dma *dma)
{
	return max_t(unsigned int, dma->largest_queue, VPD_POOL_WINDOW_ENTRIES);
}

/*
 * Decided with the platform's ops still in place. Memory that must be
 * shared with the host cannot be shared in atomic context: those pools
 * take buffers a worker shared ahead. A platform reached by direct calls
 * (iommu-dma since 6.10) cannot be called once our ops replace it: it
 * lends a window of IOVA now instead. *why says what was missing where
 * nothing can serve.
 */
static enum vpd_pool_view vpd_pool_choose_view(struct vpd_pool *pool,
					       struct device *dev,
					       unsigned int entries,
					       bool arch_wants,
					       const char **why)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (pool->decrypted) {
		/* As an IOVA window lends; at least swiotlb's 64 MiB. */
		u64 cap = (u64)entries * vpd_pool_max_segment(pool);

		pool->shared = vpd_shared_create(dev, cap);
		*why = "no buffers could be shared with the host";
		return pool->shared ? VPD_POOL_VIEW_SHARED : VPD_POOL_VIEW_NONE;
	}
	*why = "the platform's DMA must stay in charge of its own region";
	if (arch_wants)
		return VPD_POOL_VIEW_NONE;
	if (!pool->platform)
		return VPD_POOL_VIEW_GUEST;
	/*
	 * The copies are plain memcpy(): no cache maintenance, no syncs
	 * forwarded; an untrusted device's platform bounces what it maps.
	 */
	*why = "a non-coherent or untrusted device";
	if (!dev_is_dma_coherent(dev) ||
	    (dev_is_pci(dev) && to_pci_dev(dev)->untrusted))
		return VPD_POOL_VIEW_NONE;
	/*
	 * pseries' direct window (DDW) covering all memory (the core goes
	 * around the ops then): the region came from it and so can the
	 * overflow; not the default TCE table, which the platform may have
	 * given up for the window. A window covering part of memory leaves
	 * dma_ops_bypass off: the platform's ops (TCEs) serve then.
	 */
	pool->direct_limit = dev->bus_dma_limit;
	if (vpd_dev_ops_bypass(dev))
		return VPD_POOL_VIEW_DIRECT;
	if (vpd_dev_uses_dma_iommu(dev)) {
		u64 need = (u64)entries * vpd_pool_max_segment(pool);

		pool->window = vpd_iova_window_create(dev, vpd_pool_max_segment(pool),
						      entries);
		/* Capped at 1 GiB: a request of a device's huge queues might not fit. */
		if (pool->window && vpd_iova_window_size(pool->window) < need) {
			vpd_iova_window_destroy(pool->window, dev);
			pool->window = NULL;
		}
		*why = "iommu-dma lent no IOVA window large enough";
		return pool->window ? VPD_POOL_VIEW_IOMMU : VPD_POOL_VIEW_NONE;
	}
	if (!ops)
		return VPD_POOL_VIEW_DIRECT;
	*why = "the platform's ops map no single buffer";
	if (!vpd_ops_can_map(ops))
		return VPD_POOL_VIEW_NONE;
	pool->platform_ops = ops;
	return VPD_POOL_VIEW_OPS;
}

static const char *vpd_pool_view_name(enum vpd_pool_view view)
{
	static const char * const names[] = {
		[VPD_POOL_VIEW_NONE] = "none",
		[VPD_POOL_VIEW_GUEST] = "guest-physical",
		[VPD_POOL_VIEW_DIRECT] = "dma-direct",
		[VPD_POOL_VIEW_OPS] = "platform ops",
		[VPD_POOL_VIEW_IOMMU] = "IOVA window",
		[VPD_POOL_VIEW_SHARED] = "buffers shared ahead",
	};

	return names[view];
}

static void vpd_pool_region_free(struct vpd_pool *pool, struct pci_dev *pdev)
{
	unsigned int npages = pool->size >> PAGE_SHIFT;

	if (pool->platform) {
		dma_free_coherent(&pdev->dev, pool->size, pool->vaddr, pool->base);
		return;
	}
	if (pool->decrypted &&
	    set_memory_encrypted((unsigned long)pool->vaddr, npages)) {
		pci_err(pdev, "pool: region leaked, could not take it back from the host\n");
		return;
	}
	free_pages_exact(pool->vaddr, pool->size);
}

/*
 * Frees a slot of @area. The slot taken last, when it is freed before
 * another is taken (a disk at queue depth 1), is the next one taken: its
 * lines are still in the cache.
 */
static void vpd_pool_area_free(struct vpd_pool_area *area, dma_addr_t addr,
			       size_t size)
{
	unsigned long bit = (addr - area->start) >> VPD_POOL_ORDER;

	gen_pool_free(area->gp, addr, size);
	if (READ_ONCE(area->hint) == bit + (ALIGN(size, VPD_POOL_GRANULE) >> VPD_POOL_ORDER))
		WRITE_ONCE(area->hint, bit);
}

/* What a mapping of @size takes from the pool, guards included. */
static size_t vpd_pool_slot_size(struct vpd_pool *pool, size_t size)
{
	return pool->guarded ? size + 2 * VPD_POOL_GUARD : size;
}

static void vpd_pool_areas_destroy(struct vpd_pool *pool)
{
	unsigned int i;

	for (i = 0; i < pool->nareas; i++)
		if (pool->areas[i].gp)
			gen_pool_destroy(pool->areas[i].gp);
	kfree(pool->areas);
}

/*
 * One area per CPU, as many as the region holds, and the region's first
 * @skip bytes in none. Called before any CPU maps.
 */
static int vpd_pool_areas_create(struct vpd_pool *pool, int nid, size_t skip,
				 unsigned int largest_queue)
{
	size_t max_mapping = vpd_pool_max_mapping(pool);
	/* A coherent allocation is aligned to its size's page order. */
	size_t ring = PAGE_SIZE << get_order(vring_size(largest_queue, PAGE_SIZE));
	size_t min = max3(VPD_POOL_AREA_MIN,
			  4 * vpd_pool_slot_size(pool, max_mapping) + skip, 2 * ring);
	size_t area_size;
	unsigned int i;
	int err;

	pool->nareas = clamp_t(size_t, pool->size / min, 1,
			       min_t(unsigned int, num_possible_cpus(),
				     VPD_POOL_AREAS_MAX));
	area_size = round_down(pool->size / pool->nareas, VPD_POOL_GRANULE);
	pool->areas = kcalloc_node(pool->nareas, sizeof(*pool->areas),
				   GFP_KERNEL, nid);
	if (!pool->areas)
		return -ENOMEM;
	for (i = 0; i < pool->nareas; i++) {
		size_t start = i * area_size;
		size_t end = i == pool->nareas - 1 ? pool->size :
			     start + area_size;

		start = max(start, skip);
		pool->areas[i].gp = gen_pool_create(VPD_POOL_ORDER, nid);
		err = -ENOMEM;
		if (!pool->areas[i].gp)
			goto err;
		pool->areas[i].start = pool->base + start;
		pool->areas[i].size = end - start;
		pool->areas[i].reserve = max(pool->areas[i].size / 4,
					     vpd_pool_slot_size(pool, max_mapping));
		err = gen_pool_add(pool->areas[i].gp, pool->base + start,
				   end - start, nid);
		if (err)
			goto err;
	}
	return 0;
err:
	vpd_pool_areas_destroy(pool);
	return err;
}

/**
 * vpd_pool_create() - reserve a device's bounce region
 * @dma: the device's DMA state; the pool is stored there
 * @pdev: the PCI device, still with the platform's DMA ops
 * @size: the region's size, as checked by vpd_pool_check_size()
 *
 * Return: 0 or a negative errno; -EOPNOTSUPP where nothing could serve
 * what the region cannot hold (the pool would hang such a request).
 */
int vpd_pool_create(struct vpd_dma *dma, struct pci_dev *pdev, size_t size)
{
	int nid = dev_to_node(&pdev->dev);
	struct vpd_pool *pool;
	const char *why;
	int err = -ENOMEM;
	size_t skip;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	pool->size = size;
	pool->slots = kvcalloc(size >> VPD_POOL_ORDER, sizeof(*pool->slots),
			       GFP_KERNEL);
	if (!pool->slots)
		goto err_free;
	pool->vaddr = vpd_pool_region_alloc(pool, pdev, dma->access_platform,
					    dma->arch_wants);
	if (!pool->vaddr) {
		pci_err(pdev, "pool: no %zu KiB region\n", size >> 10);
		goto err_slots;
	}
	/*
	 * A region from the platform is itself a DMA allocation, and DMA-API
	 * debug takes a second one starting in the same cache line for an
	 * overlapping mapping: nothing is handed out from its first line.
	 * Nor from device address 0, which genalloc cannot tell from failure.
	 */
	skip = pool->platform ? ALIGN(L1_CACHE_BYTES, VPD_POOL_GRANULE) : 0;
	if (!pool->base)
		skip = max_t(size_t, skip, VPD_POOL_GRANULE);
	pool->guarded = dma->policy.audit;
	err = vpd_pool_areas_create(pool, nid, skip, dma->largest_queue);
	if (err)
		goto err_region;
	if (pool->guarded)
		memset(pool->vaddr, VPD_POOL_POISON_BYTE, size);
	pool->view = vpd_pool_choose_view(pool, &pdev->dev,
					  vpd_pool_overflow_entries(dma),
					  dma->arch_wants, &why);
	if (pool->view == VPD_POOL_VIEW_NONE) {
		/* A request larger than the region would wait for ever. */
		pci_warn(pdev, "pool: nothing here can serve what the region cannot hold: %s\n",
			 why);
		/* A worker that could not be had is memory short, as above. */
		err = pool->decrypted ? -ENOMEM : -EOPNOTSUPP;
		goto err_areas;
	}
	spin_lock_init(&pool->overflow_lock);
	pool->overflow = RB_ROOT_CACHED;
	dma->pool = pool;
	pci_info(pdev, "pool: %zu KiB at %pad in %u areas, %s; overflow: %s\n",
		 size >> 10, &pool->base, pool->nareas,
		 pool->platform ? "mapped once through the platform" :
		 pool->decrypted ? "guest-physical, shared with the host" :
		 "guest-physical", vpd_pool_view_name(pool->view));
	if (pool->window)
		pci_info(pdev, "pool: IOVA window of %zu MiB for the overflow\n",
			 vpd_iova_window_size(pool->window) >> 20);
	return 0;

err_areas:
	vpd_pool_areas_destroy(pool);
err_region:
	vpd_pool_region_free(pool, pdev);
err_slots:
	kvfree(pool->slots);
err_free:
	kfree(pool);
	return err;
}

/**
 * vpd_pool_destroy() - give back a device's bounce region
 * @dma: the device's DMA state
 * @pdev: the PCI device, with the platform's DMA ops back in place
 */
void vpd_pool_destroy(struct vpd_dma *dma, struct pci_dev *pdev)
{
	struct vpd_pool *pool = dma->pool;
	size_t used;

	if (!pool)
		return;
	dma->pool = NULL;
	if (pool->shared)
		vpd_shared_quiesce(pool->shared);
	/*
	 * Whoever still holds an allocation may still write to it: as
	 * dma_pool_destroy() does, leak what is in use rather than free it.
	 */
	if (!RB_EMPTY_ROOT(&pool->overflow.rb_root)) {
		pci_err(pdev, "pool: overflow mappings still live at unbind, leaked\n");
		return;
	}
	used = vpd_pool_used(pool);
	if (used) {
		pci_err(pdev, "pool: %zu bytes still allocated at unbind, region leaked\n",
			used);
		return;
	}
	if (pool->window)
		vpd_iova_window_destroy(pool->window, &pdev->dev);
	if (pool->shared)
		vpd_shared_destroy(pool->shared);
	vpd_pool_areas_destroy(pool);
	vpd_pool_region_free(pool, pdev);
	kvfree(pool->slots);
	kfree(pool);
}

bool vpd_pool_platform(struct vpd_pool *pool)
{
	return pool->platform;
}

struct vpd_pool_stats *vpd_pool_stats(struct vpd_pool *pool)
{
	return &pool->stats;
}

size_t vpd_pool_size(struct vpd_pool *pool)
{
	return pool->size;
}

size_t vpd_pool_used(struct vpd_pool *pool)
{
	size_t used = 0;
	unsigned int i;

	for (i = 0; i < pool->nareas; i++)
		used += vpd_pool_area_used(&pool->areas[i]);
	return used;
}

/* The CPU address of the region at device address @addr. */
static void *vpd_pool_vaddr(struct vpd_pool *pool, dma_addr_t addr)
{
	return pool->vaddr + (addr - pool->base);
}

/* Memory taken from the pool must still hold the poison it got when freed. */
static void vpd_pool_check_poison(struct device *dev, struct vpd_pool *pool,
				  void *vaddr, size_t size)
{
	if (pool->guarded && memchr_inv(vaddr, VPD_POOL_POISON_BYTE, size))
		vpd_audit_report(dev, VPD_AUDIT_POISON,
				 pool->base + (vaddr - pool->vaddr));
}

static void vpd_pool_poison(struct vpd_pool *pool, void *vaddr, size_t size)
{
	if (pool->guarded)
		memset(vaddr, VPD_POOL_POISON_BYTE, size);
}

/* The area that holds device address @addr of the region. */
static struct vpd_pool_area *vpd_pool_area_of(struct vpd_pool *pool,
					      dma_addr_t addr)
{
	unsigned int i = pool->nareas - 1;

	while (i && addr < pool->areas[i].start)
		i--;
	return &pool->areas[i];
}

/* The area a CPU takes first: its own, where there are as many. */
static unsigned int vpd_pool_first_area(struct vpd_pool *pool)
{
	return raw_smp_processor_id() % pool->nareas;
}

static void *vpd_pool_alloc(struct device *dev, size_t size,
			    dma_addr_t *dma_handle, gfp_t gfp,
			    unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	/* As dma_alloc_coherent() promises: aligned to the size's page order. */
	struct genpool_data_align align = { .align = PAGE_SIZE << get_order(size) };
	unsigned int first = vpd_pool_first_area(pool), i;
	struct vpd_pool_area *area;
	unsigned long addr = 0;
	void *vaddr;

	for (i = 0; i < pool->nareas && !addr; i++) {
		area = &pool->areas[(first + i) % pool->nareas];
		addr = gen_pool_alloc_algo(area->gp, size,
					   gen_pool_first_fit_align, &align);
	}
	if (!addr) {
		atomic64_inc(&pool->stats.exhausted);
		trace_vpd_pool_exhausted(to_pci_dev(dev), size, true,
					 VPD_EXHAUSTED_FAILED);
		return NULL;
	}
	*dma_handle = addr;
	vaddr = vpd_pool_vaddr(pool, addr);
	vpd_pool_check_poison(dev, pool, vaddr, size);
	memset(vaddr, 0, size);
	vpd_pool_account(pool, area);
	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->allocs);
	return vaddr;
}

static void vpd_pool_free(struct device *dev, size_t size, void *vaddr,
			  dma_addr_t dma_handle, unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);

	vpd_pool_poison(pool, vaddr, size);
	vpd_pool_area_free(vpd_pool_area_of(pool, dma_handle), dma_handle, size);
	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->frees);
}

/* The mapping a device address belongs to: its first slot, or NULL. */
static struct vpd_pool_slot *vpd_pool_lookup(struct vpd_pool *pool,
					     dma_addr_t addr)
{
	struct vpd_pool_slot *head;

	if (addr < pool->base || addr - pool->base >= pool->size)
		return NULL;
	head = &pool->slots[pool->slots[(addr - pool->base) >> VPD_POOL_ORDER].head];
	return head->len ? head : NULL;
}

static dma_addr_t vpd_pool_slot_addr(struct vpd_pool *pool,
				     struct vpd_pool_slot *head)
{
	return pool->base + ((head - pool->slots) << VPD_POOL_ORDER);
}

/* The copies, counted; @bounce is in the region or an overflow buffer. */
static void vpd_bounce_to_device(struct device *dev, void *bounce,
				 phys_addr_t orig, size_t size)
{
	memcpy(bounce, phys_to_virt(orig), size);
	this_cpu_add(vpd_dma_of(dev)->stats.cpu->bounce_to_device, size);
}

static void vpd_bounce_from_device(struct device *dev, void *bounce,
				   phys_addr_t orig, size_t size)
{
	memcpy(phys_to_virt(orig), bounce, size);
	this_cpu_add(vpd_dma_of(dev)->stats.cpu->bounce_from_device, size);
}

/*
 * Buffers only the device writes (receive buffers) wait in the ring for
 * traffic to come; were they to fill the pool, nothing could be sent and
 * no traffic would come. They leave a quarter of each area, and at least
 * one of the largest mappings, to the rest.
 */
static bool vpd_pool_may_take(struct vpd_pool_area *area, size_t size,
			      enum dma_data_direction dir)
{
	return dir != DMA_FROM_DEVICE ||
	       vpd_pool_area_used(area) + size + area->reserve <= area->size;
}

/*
 * genalloc's search, next-fit: from the bit after the area's last
 * allocation to its end, then from its start. The hint is shared by the
 * CPUs of an area without a lock: a stale one costs a longer search.
 */
static unsigned long vpd_pool_next_fit(unsigned long *map, unsigned long size,
				       unsigned long start, unsigned int nr,
				       void *data, struct gen_pool *gp,
				       unsigned long start_addr)
{
	struct vpd_pool_area *area = data;
	unsigned long hint = READ_ONCE(area->hint);
	unsigned long end = size, bit = size;

	/* A failed search returns a bit past the end it was given. */
	if (hint < size)
		bit = bitmap_find_next_zero_area(map, end, hint, nr, 0);
	if (bit + nr > end && hint) {
		end = min(size, hint + nr - 1);
		bit = bitmap_find_next_zero_area(map, end, 0, nr, 0);
	}
	if (bit + nr > end)
		return size;
	WRITE_ONCE(area->hint, bit + nr);
	return bit;
}

/* Checks the guards of the mapping at @addr, poisons it and frees it. */
static void vpd_pool_release(struct device *dev, struct vpd_pool *pool,
			     dma_addr_t addr, size_t size)
{
	void *vaddr = vpd_pool_vaddr(pool, addr);

	if (pool->guarded) {
		if (memchr_inv(vaddr - VPD_POOL_GUARD, VPD_POOL_GUARD_BYTE,
			       VPD_POOL_GUARD) ||
		    memchr_inv(vaddr + size, VPD_POOL_GUARD_BYTE, VPD_POOL_GUARD))
			vpd_audit_report(dev, VPD_AUDIT_GUARD, addr);
		vaddr -= VPD_POOL_GUARD;
		addr -= VPD_POOL_GUARD;
	}
	vpd_pool_poison(pool, vaddr, vpd_pool_slot_size(pool, size));
	vpd_pool_area_free(vpd_pool_area_of(pool, addr), addr,
			   vpd_pool_slot_size(pool, size));
}

/*
 * Takes a slot of the region for @size bytes at @orig, from the CPU's own
 * area or, where that is full, the next with room; DMA_MAPPING_ERROR if
 * none has.
 */
static dma_addr_t vpd_pool_take(struct device *dev, struct vpd_pool *pool,
				phys_addr_t orig, size_t size,
				enum dma_data_direction dir)
{
	size_t slot = vpd_pool_slot_size(pool, size);
	unsigned int first = vpd_pool_first_area(pool), i;
	struct vpd_pool_area *area;
	dma_addr_t addr = 0;
	void *vaddr;
	u32 head;

	for (i = 0; i < pool->nareas && !addr; i++) {
		area = &pool->areas[(first + i) % pool->nareas];
		if (vpd_pool_may_take(area, slot, dir))
			addr = gen_pool_alloc_algo(area->gp, slot,
						   vpd_pool_next_fit, area);
	}
	if (!addr)
		return DMA_MAPPING_ERROR;
	vaddr = vpd_pool_vaddr(pool, addr);
	vpd_pool_check_poison(dev, pool, vaddr, slot);
	if (pool->guarded) {
		memset(vaddr, VPD_POOL_GUARD_BYTE, VPD_POOL_GUARD);
		memset(vaddr + VPD_POOL_GUARD + size, VPD_POOL_GUARD_BYTE,
		       VPD_POOL_GUARD);
		addr += VPD_POOL_GUARD;
	}
	head = (addr - pool->base) >> VPD_POOL_ORDER;
	for (i = head; i <= (addr + size - 1 - pool->base) >> VPD_POOL_ORDER; i++)
		pool->slots[i].head = head;
	pool->slots[head].orig = orig;
	pool->slots[head].len = size;
	vpd_pool_account(pool, area);
	return addr;
}

/*
 * The highest address the device reaches without translation: its mask,
 * and the platform's bus limit (ours cleared it while we are bound).
 */
static u64 vpd_pool_direct_mask(struct device *dev, struct vpd_pool *pool)
{
	return min_not_zero(*dev->dma_mask, pool->direct_limit);
}

/* The device's address of an overflow buffer, through the pool's view. */
static dma_addr_t vpd_overflow_dev_addr(struct device *dev,
					struct vpd_pool *pool, void *vaddr,
					size_t size, enum dma_data_direction dir)
{
	dma_addr_t addr;

	/*
	 * The DMA core's own helpers would dispatch to our ops: the view is
	 * reached the way the platform reached the region, by the platform's
	 * ops table (called directly, as the DMA core would), phys_to_dma(),
	 * or the IOVA window.
	 */
	switch (pool->view) {
	case VPD_POOL_VIEW_GUEST:
	case VPD_POOL_VIEW_SHARED:
		addr = virt_to_phys(vaddr);
		break;
	case VPD_POOL_VIEW_DIRECT:
		addr = phys_to_dma(dev, virt_to_phys(vaddr));
		break;
	case VPD_POOL_VIEW_OPS:
		return vpd_ops_map_phys(pool->platform_ops, dev,
					virt_to_phys(vaddr), size, dir, 0);
	case VPD_POOL_VIEW_IOMMU:
		return vpd_iova_window_map(pool->window, dev, virt_to_phys(vaddr),
					   PAGE_ALIGN(size), dir);
	default:
		return DMA_MAPPING_ERROR;
	}
	return addr + size - 1 <= vpd_pool_direct_mask(dev, pool) ?
	       addr : DMA_MAPPING_ERROR;
}

static void vpd_overflow_free(struct vpd_pool *pool,
			      struct vpd_pool_overflow *o)
{
	if (o->shared)
		vpd_shared_give(pool->shared, o->shared);
	else
		free_pages_exact(o->vaddr, PAGE_ALIGN(o->len));
	kfree(o);
}

/*
 * Serves a mapping the region cannot hold. In atomic context, like every
 * map: a failure here is the only one left, and the driver retries.
 */
static dma_addr_t vpd_overflow_map(struct device *dev, struct vpd_pool *pool,
				   phys_addr_t orig, size_t size,
				   enum dma_data_direction dir)
{
	/* Not GFP_ATOMIC: an overflow is no reason to take the reserves. */
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct vpd_pool_overflow *o;
	unsigned long flags;
	dma_addr_t addr;

	/* Larger than the page allocator gives in one piece: never. */
	if (pool->view == VPD_POOL_VIEW_NONE || size > vpd_pool_max_size())
		goto fail;
	/* As dma-direct: a zone only for a device limited to 32 bits. */
	if ((pool->view == VPD_POOL_VIEW_GUEST || pool->view == VPD_POOL_VIEW_DIRECT ||
	     pool->view == VPD_POOL_VIEW_SHARED) &&
	    vpd_pool_direct_mask(dev, pool) <= DMA_BIT_MASK(32))
		gfp |= GFP_DMA32;
	o = kmalloc(sizeof(*o), gfp & ~GFP_DMA32);
	if (!o)
		goto fail;
	o->shared = NULL;
	if (pool->view == VPD_POOL_VIEW_SHARED) {
		/* None ready: the worker shares one, the driver retries. */
		o->shared = vpd_shared_take(pool->shared, PAGE_ALIGN(size));
		o->vaddr = o->shared ? vpd_shared_vaddr(o->shared) : NULL;
	} else {
		o->vaddr = alloc_pages_exact(PAGE_ALIGN(size), gfp);
	}
	if (!o->vaddr) {
		kfree(o);
		goto fail;
	}
	o->orig = orig;
	o->len = size;
	o->dir = dir;
	/*
	 * Every direction starts from the buffer's contents, as in the
	 * region; the rest of the last page, which the device may see
	 * through an IOMMU, holds nothing of anyone's.
	 */
	memcpy(o->vaddr, phys_to_virt(orig), size);
	memset(o->vaddr + size, 0, PAGE_ALIGN(size) - size);
	addr = vpd_overflow_dev_addr(dev, pool, o->vaddr, size, dir);
	if (addr == DMA_MAPPING_ERROR) {
		vpd_overflow_free(pool, o);
		goto fail;
	}
	o->node.start = addr;
	o->node.last = addr + size - 1;
	spin_lock_irqsave(&pool->overflow_lock, flags);
	interval_tree_insert(&o->node, &pool->overflow);
	spin_unlock_irqrestore(&pool->overflow_lock, flags);
	atomic64_inc(&pool->stats.overflow_maps);
	atomic64_add(size, &pool->stats.overflow_bytes);
	this_cpu_add(vpd_dma_of(dev)->stats.cpu->bounce_to_device, size);
	return addr;

fail:
	atomic64_inc(&pool->stats.overflow_failed);
	return DMA_MAPPING_ERROR;
}

/* The overflow mapping that contains [addr, addr + size), or NULL. */
static struct vpd_pool_overflow *vpd_overflow_find(struct vpd_pool *pool,
						   dma_addr_t addr, size_t size)
{
	struct interval_tree_node *node;
	unsigned long flags;

	spin_lock_irqsave(&pool->overflow_lock, flags);
	node = interval_tree_iter_first(&pool->overflow, addr, addr);
	if (node && addr + size - 1 > node->last)
		node = NULL;
	spin_unlock_irqrestore(&pool->overflow_lock, flags);
	return node ? container_of(node, struct vpd_pool_overflow, node) : NULL;
}

/* Ends the overflow mapping that starts at @addr; false if there is none. */
static bool vpd_overflow_unmap(struct device *dev, struct vpd_pool *pool,
			       dma_addr_t addr, unsigned long attrs)
{
	struct interval_tree_node *node;
	struct vpd_pool_overflow *o;
	unsigned long flags;
	bool found;

	spin_lock_irqsave(&pool->overflow_lock, flags);
	node = interval_tree_iter_first(&pool->overflow, addr, addr);
	found = node && node->start == addr;
	if (found)
		interval_tree_remove(node, &pool->overflow);
	spin_unlock_irqrestore(&pool->overflow_lock, flags);
	if (!found)
		return false;
	o = container_of(node, struct vpd_pool_overflow, node);
	if (pool->view == VPD_POOL_VIEW_OPS)
		vpd_ops_unmap_phys(pool->platform_ops, dev, addr, o->len,
				   o->dir, 0);
	else if (pool->view == VPD_POOL_VIEW_IOMMU)
		vpd_iova_window_unmap(pool->window, addr, PAGE_ALIGN(o->len));
	/* The recorded direction and length, not the caller's. */
	if ((o->dir == DMA_FROM_DEVICE || o->dir == DMA_BIDIRECTIONAL) &&
	    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		vpd_bounce_from_device(dev, o->vaddr, o->orig, o->len);
	vpd_overflow_free(pool, o);
	return true;
}

static dma_addr_t vpd_pool_map_phys(struct device *dev, phys_addr_t orig,
				    size_t size, enum dma_data_direction dir,
				    unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	dma_addr_t addr;

	if (!size || size > U32_MAX)
		return DMA_MAPPING_ERROR;
	/*
	 * MMIO cannot be bounced, nor what its caller says must not be; and
	 * the device sees nothing but the pool.
	 */
	if (attrs & (VPD_ATTR_MMIO | VPD_ATTR_REQUIRE_COHERENT)) {
		dev_err_ratelimited(dev, "pool: %s %pa+%zu cannot be bounced\n",
				    attrs & VPD_ATTR_MMIO ? "MMIO" : "coherent-only",
				    &orig, size);
		return DMA_MAPPING_ERROR;
	}
	addr = vpd_pool_take(dev, pool, orig, size, dir);
	if (addr == DMA_MAPPING_ERROR) {
		atomic64_inc(&pool->stats.exhausted);
		/* On failure the driver retries; the data stays where it is. */
		addr = vpd_overflow_map(dev, pool, orig, size, dir);
		trace_vpd_pool_exhausted(to_pci_dev(dev), size, false,
					 addr == DMA_MAPPING_ERROR ?
					 VPD_EXHAUSTED_FAILED : VPD_EXHAUSTED_OVERFLOW);
		if (addr == DMA_MAPPING_ERROR)
			return addr;
	} else {
		/*
		 * Every direction starts from the buffer's contents, even
		 * with DMA_ATTR_SKIP_CPU_SYNC: a device that writes less
		 * than the whole buffer must not hand back stale pool data
		 * (swiotlb copies at map for the same reason).
		 */
		vpd_bounce_to_device(dev, vpd_pool_vaddr(pool, addr), orig, size);
	}
	vpd_stats_map(&vpd_dma_of(dev)->stats, size);
	return addr;
}

static void vpd_pool_unmap_phys(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir,
				unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	struct vpd_pool_slot *head = vpd_pool_lookup(pool, addr);

	/* The recorded length, not the caller's, decides what is copied. */
	if (!head || vpd_pool_slot_addr(pool, head) != addr) {
		if (!vpd_overflow_unmap(dev, pool, addr, attrs)) {
			dev_err_ratelimited(dev, "pool: unmap of %pad, which is not mapped\n",
					    &addr);
			return;
		}
		vpd_stats_unmap(&vpd_dma_of(dev)->stats);
		return;
	}
	if ((dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL) &&
	    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		vpd_bounce_from_device(dev, vpd_pool_vaddr(pool, addr),
				       head->orig, head->len);
	size = head->len;
	head->len = 0;
	vpd_pool_release(dev, pool, addr, size);
	vpd_stats_unmap(&vpd_dma_of(dev)->stats);
}

VPD_DEFINE_PAGE_OPS(vpd_pool)

/*
 * Where the CPU copy and the device copy of [addr, addr + size) are, in
 * the region or an overflow buffer; false if that is not all mapped.
 */
static bool vpd_pool_sync_range(struct vpd_pool *pool, dma_addr_t addr,
				size_t size, phys_addr_t *orig, void **bounce)
{
	struct vpd_pool_slot *head = vpd_pool_lookup(pool, addr);
	struct vpd_pool_overflow *o;
	size_t offset;

	if (head) {
		offset = addr - vpd_pool_slot_addr(pool, head);
		if (offset + size > head->len)
			return false;
		*orig = head->orig + offset;
		*bounce = vpd_pool_vaddr(pool, addr);
		return true;
	}
	o = vpd_overflow_find(pool, addr, size);
	if (!o)
		return false;
	offset = addr - o->node.start;
	*orig = o->orig + offset;
	*bounce = o->vaddr + offset;
	return true;
}

static void vpd_pool_sync(struct device *dev, dma_addr_t addr, size_t size,
			  bool to_device)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	phys_addr_t orig;
	void *bounce;

	if (!vpd_pool_sync_range(pool, addr, size, &orig, &bounce)) {
		dev_err_ratelimited(dev, "pool: sync of %pad+%zu outside a mapping\n",
				    &addr, size);
		return;
	}
	if (to_device)
		vpd_bounce_to_device(dev, bounce, orig, size);
	else
		vpd_bounce_from_device(dev, bounce, orig, size);
}

static void vpd_pool_sync_for_cpu(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir)
{
	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->syncs);
	if (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)
		vpd_pool_sync(dev, addr, size, false);
}

static void vpd_pool_sync_for_device(struct device *dev, dma_addr_t addr,
				     size_t size, enum dma_data_direction dir)
{
	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->syncs);
	if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
		vpd_pool_sync(dev, addr, size, true);
}

static size_t vpd_pool_max_mapping_size(struct device *dev)
{
	return vpd_pool_max_mapping(vpd_pool_of(dev));
}

const struct dma_map_ops vpd_pool_ops = {
	.alloc = vpd_pool_alloc,
	.free = vpd_pool_free,
	VPD_MAP_OPS(vpd_pool),
	.map_sg = vpd_map_sg,
	.unmap_sg = vpd_unmap_sg,
	.sync_single_for_cpu = vpd_pool_sync_for_cpu,
	.sync_single_for_device = vpd_pool_sync_for_device,
	.sync_sg_for_cpu = vpd_sync_sg_for_cpu,
	.sync_sg_for_device = vpd_sync_sg_for_device,
	.max_mapping_size = vpd_pool_max_mapping_size,
};
