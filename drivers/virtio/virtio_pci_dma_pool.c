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
 * The region is managed by genalloc. What each slot bounces is kept in a
 * table outside the region, per granule, so that nothing the device can
 * write steers a copy.
 */

#include <linux/cache.h>
#include <linux/dma-map-ops.h>
#include <linux/genalloc.h>
#include <linux/mm.h>
#include <linux/set_memory.h>

#include "virtio_pci_dma.h"

#define VPD_POOL_ORDER 7		/* 128-byte granules */
#define VPD_POOL_GRANULE BIT(VPD_POOL_ORDER)
#define VPD_POOL_MIN_SIZE SZ_64K

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
 * struct vpd_pool - the bounce region of one device
 * @gp: the allocator of the region
 * @vaddr: the region, as the CPU sees it
 * @base: the region, as the device sees it
 * @size: its size
 * @platform: allocated through the platform's ops (else guest-physical)
 * @decrypted: made shared with the host (encrypted guests)
 * @guarded: slots have guard bytes and free memory is poisoned (audit)
 * @slots: one per granule
 * @stats: what debugfs shows
 */
struct vpd_pool {
	struct gen_pool *gp;
	void *vaddr;
	dma_addr_t base;
	size_t size;
	bool platform;
	bool decrypted;
	bool guarded;
	struct vpd_pool_slot *slots;
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

static void vpd_pool_account(struct vpd_pool *pool)
{
	s64 used = vpd_pool_used(pool);
	s64 max = atomic64_read(&pool->stats.used_max);

	while (used > max) {
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

/**
 * vpd_pool_create() - reserve a device's bounce region
 * @dma: the device's DMA state; the pool is stored there
 * @pdev: the PCI device, still with the platform's DMA ops
 * @size: the region's size, as checked by vpd_pool_check_size()
 *
 * Return: 0 or a negative errno.
 */
int vpd_pool_create(struct vpd_dma *dma, struct pci_dev *pdev, size_t size)
{
	int nid = dev_to_node(&pdev->dev);
	struct vpd_pool *pool;
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
	pool->gp = gen_pool_create(VPD_POOL_ORDER, nid);
	if (!pool->gp)
		goto err_slots;
	pool->vaddr = vpd_pool_region_alloc(pool, pdev, dma->access_platform,
					    dma->arch_wants);
	if (!pool->vaddr) {
		pci_err(pdev, "pool: no %zu KiB region\n", size >> 10);
		goto err_gp;
	}
	/*
	 * genalloc's "phys" is the device's address of the region. A region
	 * from the platform is itself a DMA allocation, and DMA-API debug
	 * takes a second one starting in the same cache line for an
	 * overlapping mapping: nothing is handed out from its first line.
	 */
	skip = pool->platform ? ALIGN(L1_CACHE_BYTES, VPD_POOL_GRANULE) : 0;
	err = gen_pool_add_virt(pool->gp, (unsigned long)pool->vaddr + skip,
				pool->base + skip, size - skip, nid);
	if (err)
		goto err_region;
	pool->guarded = vpd_audit_enabled();
	if (pool->guarded)
		memset(pool->vaddr, VPD_POOL_POISON_BYTE, size);
	dma->pool = pool;
	pci_info(pdev, "pool: %zu KiB at %pad, %s\n", size >> 10, &pool->base,
		 pool->platform ? "mapped once through the platform" :
		 pool->decrypted ? "guest-physical, shared with the host" :
		 "guest-physical");
	return 0;

err_region:
	vpd_pool_region_free(pool, pdev);
err_gp:
	gen_pool_destroy(pool->gp);
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
	/*
	 * Whoever still holds an allocation may still write to it: as
	 * dma_pool_destroy() does, leak what is in use rather than free it.
	 */
	used = vpd_pool_used(pool);
	if (used) {
		pci_err(pdev, "pool: %zu bytes still allocated at unbind, region leaked\n",
			used);
		return;
	}
	gen_pool_destroy(pool->gp);
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
	return gen_pool_size(pool->gp) - gen_pool_avail(pool->gp);
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

static void *vpd_pool_alloc(struct device *dev, size_t size,
			    dma_addr_t *dma_handle, gfp_t gfp,
			    unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	void *vaddr;

	vaddr = gen_pool_dma_alloc_align(pool->gp, size, dma_handle,
					 size >= PAGE_SIZE ? PAGE_SIZE : VPD_POOL_GRANULE);
	if (!vaddr) {
		atomic64_inc(&pool->stats.exhausted);
		return NULL;
	}
	vpd_pool_check_poison(dev, pool, vaddr, size);
	memset(vaddr, 0, size);
	vpd_pool_account(pool);
	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->allocs);
	return vaddr;
}

static void vpd_pool_free(struct device *dev, size_t size, void *vaddr,
			  dma_addr_t dma_handle, unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);

	vpd_pool_poison(pool, vaddr, size);
	gen_pool_free(pool->gp, (unsigned long)vaddr, size);
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

static void *vpd_pool_vaddr(struct vpd_pool *pool, dma_addr_t addr)
{
	return pool->vaddr + (addr - pool->base);
}

static void vpd_bounce_to_device(struct vpd_pool *pool, dma_addr_t addr,
				 phys_addr_t orig, size_t size)
{
	memcpy(vpd_pool_vaddr(pool, addr), phys_to_virt(orig), size);
	atomic64_add(size, &pool->stats.bounce_to_device);
}

static void vpd_bounce_from_device(struct vpd_pool *pool, dma_addr_t addr,
				   phys_addr_t orig, size_t size)
{
	memcpy(phys_to_virt(orig), vpd_pool_vaddr(pool, addr), size);
	atomic64_add(size, &pool->stats.bounce_from_device);
}

/*
 * Buffers only the device writes (receive buffers) wait in the ring for
 * traffic to come; were they to fill the pool, nothing could be sent and
 * no traffic would come. They leave a quarter of the pool to the rest.
 */
static bool vpd_pool_may_take(struct vpd_pool *pool, size_t size,
			      enum dma_data_direction dir)
{
	return dir != DMA_FROM_DEVICE ||
	       vpd_pool_used(pool) + size <= pool->size - pool->size / 4;
}

/* What a mapping of @size takes from the pool, guards included. */
static size_t vpd_pool_slot_size(struct vpd_pool *pool, size_t size)
{
	return pool->guarded ? size + 2 * VPD_POOL_GUARD : size;
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
	}
	vpd_pool_poison(pool, vaddr, vpd_pool_slot_size(pool, size));
	gen_pool_free(pool->gp, (unsigned long)vaddr, vpd_pool_slot_size(pool, size));
}

static dma_addr_t vpd_pool_map_page(struct device *dev, struct page *page,
				    unsigned long offset, size_t size,
				    enum dma_data_direction dir,
				    unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	phys_addr_t orig = page_to_phys(page) + offset;
	unsigned long vaddr;
	dma_addr_t addr;
	u32 first, i;

	if (!size || size > U32_MAX)
		return DMA_MAPPING_ERROR;
	vaddr = vpd_pool_may_take(pool, size, dir) ?
		gen_pool_alloc(pool->gp, vpd_pool_slot_size(pool, size)) : 0;
	if (!vaddr) {
		/* The driver retries; the data stays where it is. */
		atomic64_inc(&pool->stats.exhausted);
		return DMA_MAPPING_ERROR;
	}
	vpd_pool_check_poison(dev, pool, (void *)vaddr,
			      vpd_pool_slot_size(pool, size));
	if (pool->guarded) {
		memset((void *)vaddr, VPD_POOL_GUARD_BYTE, VPD_POOL_GUARD);
		vaddr += VPD_POOL_GUARD;
		memset((void *)vaddr + size, VPD_POOL_GUARD_BYTE, VPD_POOL_GUARD);
	}
	addr = gen_pool_virt_to_phys(pool->gp, vaddr);
	first = (addr - pool->base) >> VPD_POOL_ORDER;
	for (i = first; i <= (addr + size - 1 - pool->base) >> VPD_POOL_ORDER; i++)
		pool->slots[i].head = first;
	pool->slots[first].orig = orig;
	pool->slots[first].len = size;

	/*
	 * Every direction starts from the buffer's contents: a device that
	 * writes less than the whole buffer must not hand back stale pool
	 * data (the same reason swiotlb bounces FROM_DEVICE buffers too).
	 */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		vpd_bounce_to_device(pool, addr, orig, size);
	vpd_pool_account(pool);
	vpd_stats_map(&vpd_dma_of(dev)->stats, size);
	return addr;
}

static void vpd_pool_unmap_page(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir,
				unsigned long attrs)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	struct vpd_pool_slot *head = vpd_pool_lookup(pool, addr);

	/* The recorded length, not the caller's, decides what is copied. */
	if (!head || vpd_pool_slot_addr(pool, head) != addr) {
		dev_err_ratelimited(dev, "pool: unmap of %pad, which is not mapped\n",
				    &addr);
		return;
	}
	if ((dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL) &&
	    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		vpd_bounce_from_device(pool, addr, head->orig, head->len);
	size = head->len;
	head->len = 0;
	vpd_pool_release(dev, pool, addr, size);
	vpd_stats_unmap(&vpd_dma_of(dev)->stats);
}

/* The part of a mapping a sync covers, or 0 if it is not all mapped. */
static size_t vpd_pool_sync_range(struct vpd_pool *pool, dma_addr_t addr,
				  size_t size, phys_addr_t *orig)
{
	struct vpd_pool_slot *head = vpd_pool_lookup(pool, addr);
	size_t offset;

	if (!head)
		return 0;
	offset = addr - vpd_pool_slot_addr(pool, head);
	if (offset + size > head->len)
		return 0;
	*orig = head->orig + offset;
	return size;
}

static void vpd_pool_sync_for_cpu(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	phys_addr_t orig;

	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->syncs);
	if (dir != DMA_FROM_DEVICE && dir != DMA_BIDIRECTIONAL)
		return;
	if (!vpd_pool_sync_range(pool, addr, size, &orig)) {
		dev_err_ratelimited(dev, "pool: sync of %pad+%zu outside a mapping\n",
				    &addr, size);
		return;
	}
	vpd_bounce_from_device(pool, addr, orig, size);
}

static void vpd_pool_sync_for_device(struct device *dev, dma_addr_t addr,
				     size_t size, enum dma_data_direction dir)
{
	struct vpd_pool *pool = vpd_pool_of(dev);
	phys_addr_t orig;

	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->syncs);
	if (dir != DMA_TO_DEVICE && dir != DMA_BIDIRECTIONAL)
		return;
	if (!vpd_pool_sync_range(pool, addr, size, &orig)) {
		dev_err_ratelimited(dev, "pool: sync of %pad+%zu outside a mapping\n",
				    &addr, size);
		return;
	}
	vpd_bounce_to_device(pool, addr, orig, size);
}

/*
 * One mapping may take a sixteenth of the pool: drivers size their
 * segments by this, and many requests stay in flight at once.
 */
static size_t vpd_pool_max_mapping_size(struct device *dev)
{
	return vpd_pool_of(dev)->size / 16;
}

const struct dma_map_ops vpd_pool_ops = {
	.alloc = vpd_pool_alloc,
	.free = vpd_pool_free,
	.map_page = vpd_pool_map_page,
	.unmap_page = vpd_pool_unmap_page,
	.map_sg = vpd_map_sg,
	.unmap_sg = vpd_unmap_sg,
	.sync_single_for_cpu = vpd_pool_sync_for_cpu,
	.sync_single_for_device = vpd_pool_sync_for_device,
	.sync_sg_for_cpu = vpd_sync_sg_for_cpu,
	.sync_sg_for_device = vpd_sync_sg_for_device,
	.max_mapping_size = vpd_pool_max_mapping_size,
};
