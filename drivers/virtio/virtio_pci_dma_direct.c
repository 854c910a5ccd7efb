// SPDX-License-Identifier: GPL-2.0
/*
 * Direct DMA ops: what a virtio device without VIRTIO_F_ACCESS_PLATFORM
 * expects. The virtio spec has such a device use guest-physical addresses,
 * so the bus address of a buffer is its physical address: no IOMMU, no
 * bus offset, and no cache maintenance, because the device is the
 * hypervisor reading guest memory through the CPU's coherent caches.
 * The DMA mask still holds: a device that can only reach 32 bits must not
 * be given a buffer above 4 GiB.
 */

#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/scatterlist.h>

#include "virtio_pci_dma.h"

/* Can the device reach [phys, phys + size) with the given mask? */
static bool vpd_direct_reachable(struct device *dev, u64 mask,
				 phys_addr_t phys, size_t size)
{
	if (dev->bus_dma_limit)
		mask = min_t(u64, mask, dev->bus_dma_limit);
	return size && phys + size - 1 <= mask && phys + size - 1 >= phys;
}

static void *vpd_direct_alloc(struct device *dev, size_t size,
			      dma_addr_t *dma_handle, gfp_t gfp,
			      unsigned long attrs)
{
	u64 mask = dev->coherent_dma_mask;
	void *cpu_addr;

	/* Zones are a hint; the reachability check below decides. */
	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
	if (mask < DMA_BIT_MASK(32))
		gfp |= GFP_DMA;
	else if (mask < DMA_BIT_MASK(64))
		gfp |= GFP_DMA32;

	cpu_addr = alloc_pages_exact(PAGE_ALIGN(size), gfp | __GFP_ZERO);
	if (!cpu_addr)
		return NULL;
	if (!vpd_direct_reachable(dev, mask, virt_to_phys(cpu_addr), size)) {
		free_pages_exact(cpu_addr, PAGE_ALIGN(size));
		return NULL;
	}
	*dma_handle = virt_to_phys(cpu_addr);
	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->allocs);
	return cpu_addr;
}

static void vpd_direct_free(struct device *dev, size_t size, void *cpu_addr,
			    dma_addr_t dma_handle, unsigned long attrs)
{
	free_pages_exact(cpu_addr, PAGE_ALIGN(size));
	this_cpu_inc(vpd_dma_of(dev)->stats.cpu->frees);
}

/* Out of line: a print in the map path costs every map a stack canary. */
static noinline __cold void vpd_direct_unreachable(struct device *dev,
						   phys_addr_t phys, size_t size)
{
	dev_err_ratelimited(dev, "buffer %pa+%zu beyond the DMA mask %llx\n",
			    &phys, size, *dev->dma_mask);
}

/*
 * MMIO (dma_map_resource(), a peer's BAR) is mapped the same way: the
 * device reaches it at its physical address, and there is no page to
 * look at.
 */
static dma_addr_t vpd_direct_map_phys(struct device *dev, phys_addr_t phys,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs)
{
	if (unlikely(!vpd_direct_reachable(dev, *dev->dma_mask, phys, size))) {
		if (size)
			vpd_direct_unreachable(dev, phys, size);
		return DMA_MAPPING_ERROR;
	}
	vpd_stats_map(&vpd_dma_of(dev)->stats, size);
	return phys;
}

static void vpd_direct_unmap_phys(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	vpd_stats_unmap(&vpd_dma_of(dev)->stats);
}

VPD_DEFINE_PAGE_OPS(vpd_direct)

/*
 * Scatter-gather lists, for every ops table of this module: entry by
 * entry through the single-buffer callbacks of the ops the device has now
 * (the audit's, when it is on, which pass each entry on in turn).
 */
void vpd_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
		  enum dma_data_direction dir, unsigned long attrs)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		vpd_ops_unmap_phys(ops, dev, sg_dma_address(sg),
				   sg_dma_len(sg), dir, attrs);
}

int vpd_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
	       enum dma_data_direction dir, unsigned long attrs)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = vpd_ops_map_phys(ops, dev, sg_phys(sg),
						   sg->length, dir, attrs);
		if (sg->dma_address == DMA_MAPPING_ERROR) {
			vpd_unmap_sg(dev, sgl, i, dir, attrs);
			return -ENOMEM;
		}
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

void vpd_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		ops->sync_single_for_cpu(dev, sg_dma_address(sg),
					 sg_dma_len(sg), dir);
}

void vpd_sync_sg_for_device(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		ops->sync_single_for_device(dev, sg_dma_address(sg),
					    sg_dma_len(sg), dir);
}

/*
 * Coherent, so no sync callbacks: a sync has nothing to do, and without
 * them the DMA core skips it (6.9 and later) or makes no indirect call.
 */
const struct dma_map_ops vpd_direct_ops = {
	.alloc = vpd_direct_alloc,
	.free = vpd_direct_free,
	VPD_MAP_OPS(vpd_direct),
	.map_sg = vpd_map_sg,
	.unmap_sg = vpd_unmap_sg,
};
