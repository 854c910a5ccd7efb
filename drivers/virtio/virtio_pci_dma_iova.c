// SPDX-License-Identifier: GPL-2.0
/*
 * An IOVA window for the pool's overflow where the platform is iommu-dma
 * reached by direct calls (dev->dma_iommu, 6.10 and later). Those calls
 * are what our ops replace, so once the pool is installed nothing can
 * ask iommu-dma for a mapping. Instead, at probe, while the platform is
 * still the device's, iommu-dma is asked once for a window of IOVA: one
 * scatterlist whose every entry is the same zeroed chunk, so it costs a
 * chunk of memory and page tables, whatever its size. The window is then
 * emptied with the IOMMU API, and each overflow buffer is mapped into it
 * and out of it with iommu_map() and iommu_unmap() on the device's
 * domain. IOVA the window does not lend out maps nothing: a device that
 * touches it faults. At unbind the chunk is mapped back everywhere, so
 * that iommu-dma unmaps exactly what it mapped.
 *
 * The DMA domain is iommu-dma's, but the window's IOVA is ours for the
 * device's lifetime: iommu-dma never hands it out nor flushes it.
 */

#include <linux/dma-map-ops.h>
#include <linux/genalloc.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>

#include "virtio_pci_dma.h"

#ifdef VPD_IOMMU_DMA_DIRECT

/* Far from the 4 GiB segment boundary: iommu-dma pads no entry. */
#define VPD_IOVA_WINDOW_MAX SZ_1G

/**
 * struct vpd_iova_window - IOVA lent out to the pool's overflow
 * @domain: the device's DMA domain
 * @gp: the allocator of the window's IOVA, in pages
 * @sgt: what reserved the window: @chunks entries, each @chunk
 * @chunk: the zeroed memory every entry of @sgt maps
 * @chunk_size: its size
 * @base: the window's first IOVA
 * @size: its size
 */
struct vpd_iova_window {
	struct iommu_domain *domain;
	struct gen_pool *gp;
	struct sg_table sgt;
	struct page *chunk;
	size_t chunk_size;
	dma_addr_t base;
	size_t size;
};

/*
 * Maps the chunk back wherever the window has a hole, as iommu-dma left
 * it: its final unmap must find every page it mapped. False if a hole
 * stays: then nothing of the window may be given back.
 */
static bool vpd_iova_refill(struct vpd_iova_window *w)
{
	dma_addr_t iova;

	for (iova = w->base; iova < w->base + w->size; iova += w->chunk_size) {
		if (iommu_iova_to_phys(w->domain, iova))
			continue;
		if (iommu_map(w->domain, iova, page_to_phys(w->chunk),
			      w->chunk_size, IOMMU_READ, GFP_KERNEL))
			return false;
	}
	return true;
}

/* Gives the window back to iommu-dma, or leaks it where that is unsafe. */
static void vpd_iova_release(struct vpd_iova_window *w, struct device *dev)
{
	if (!vpd_iova_refill(w)) {
		dev_warn(dev, "pool: IOVA window could not be restored: leaked\n");
		return;
	}
	dma_unmap_sgtable(dev, &w->sgt, DMA_TO_DEVICE, 0);
	sg_free_table(&w->sgt);
	__free_pages(w->chunk, get_order(w->chunk_size));
	kfree(w);
}

/* Are the mapped segments one IOVA range, end to end, of @size? */
static bool vpd_iova_contiguous(struct sg_table *sgt, dma_addr_t base,
				size_t size)
{
	dma_addr_t next = base;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (sg_dma_address(sg) != next)
			return false;
		next += sg_dma_len(sg);
	}
	return next == base + size;
}

static bool vpd_iova_reserve(struct vpd_iova_window *w, struct device *dev,
			     unsigned int chunks)
{
	unsigned int max_seg = dma_get_max_seg_size(dev);
	unsigned long boundary = dma_get_seg_boundary(dev);
	struct scatterlist *sg;
	unsigned int i;
	int err;

	if (sg_alloc_table(&w->sgt, chunks, GFP_KERNEL))
		return false;
	for_each_sgtable_sg(&w->sgt, sg, i)
		sg_set_page(sg, w->chunk, w->chunk_size, 0);
	/*
	 * One range, no padding between entries, whatever the PCI core's
	 * 64 KiB segments and 4 GiB boundary (which DMA-API debug would
	 * also hold every entry against): the device has no such limits.
	 */
	dma_set_max_seg_size(dev, UINT_MAX);
	dma_set_seg_boundary(dev, ULONG_MAX);
	err = dma_map_sgtable(dev, &w->sgt, DMA_TO_DEVICE, 0);
	dma_set_max_seg_size(dev, max_seg);
	dma_set_seg_boundary(dev, boundary);
	if (err) {
		sg_free_table(&w->sgt);
		return false;
	}
	w->base = sg_dma_address(w->sgt.sgl);
	w->size = (size_t)chunks * w->chunk_size;
	if (!vpd_iova_contiguous(&w->sgt, w->base, w->size)) {
		dma_unmap_sgtable(dev, &w->sgt, DMA_TO_DEVICE, 0);
		sg_free_table(&w->sgt);
		return false;
	}
	return true;
}

/**
 * vpd_iova_window_create() - reserve IOVA for the pool's overflow
 * @dev: the device, its platform DMA (iommu-dma) still in place
 * @max_mapping: the largest mapping the window must take
 * @entries: how many such mappings it must hold at once
 *
 * Return: the window, or NULL (no iommu-dma, or no memory).
 */
struct vpd_iova_window *
vpd_iova_window_create(struct device *dev, size_t max_mapping,
		       unsigned int entries)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct vpd_iova_window *w;
	unsigned int chunks;

	/*
	 * Bounce buffers are filled by memcpy(): coherent devices only. An
	 * untrusted device's iommu-dma bounces through swiotlb; an IOMMU
	 * granule above a page would space the entries out: no window.
	 */
	if (!vpd_dev_uses_dma_iommu(dev) || !dev_is_dma_coherent(dev) ||
	    !dev_is_pci(dev) || to_pci_dev(dev)->untrusted || !dev->dma_parms ||
	    !domain || !iommu_is_dma_domain(domain) ||
	    __ffs(domain->pgsize_bitmap) > PAGE_SHIFT)
		return NULL;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return NULL;
	w->domain = domain;
	w->chunk_size = PAGE_ALIGN(max_mapping);
	chunks = min_t(size_t, entries, VPD_IOVA_WINDOW_MAX / w->chunk_size);
	/* No splat where memory is fragmented: the pool is declined then. */
	w->chunk = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN |
			       __GFP_RETRY_MAYFAIL, get_order(w->chunk_size));
	if (!w->chunk)
		goto err_free;
	if (!vpd_iova_reserve(w, dev, chunks))
		goto err_chunk;
	if (iommu_unmap(domain, w->base, w->size) != w->size)
		goto err_refill;
	w->gp = gen_pool_create(PAGE_SHIFT, dev_to_node(dev));
	if (!w->gp || gen_pool_add(w->gp, w->base, w->size, dev_to_node(dev)))
		goto err_refill;
	return w;

err_refill:
	if (w->gp)
		gen_pool_destroy(w->gp);
	vpd_iova_release(w, dev);
	return NULL;
err_chunk:
	__free_pages(w->chunk, get_order(w->chunk_size));
err_free:
	kfree(w);
	return NULL;
}

/**
 * vpd_iova_window_destroy() - give the window back to iommu-dma
 * @w: the window, nothing mapped in it any more
 * @dev: the device, its platform DMA back in place
 */
void vpd_iova_window_destroy(struct vpd_iova_window *w, struct device *dev)
{
	gen_pool_destroy(w->gp);
	vpd_iova_release(w, dev);
}

size_t vpd_iova_window_size(struct vpd_iova_window *w)
{
	return w->size;
}

/**
 * vpd_iova_window_map() - map whole pages into the window
 * @w: the window
 * @dev: the device
 * @phys: the first page
 * @size: their length, whole pages
 * @dir: the direction the device may access them in
 *
 * Called in atomic context, as every map.
 *
 * Return: the device's address of @phys, or DMA_MAPPING_ERROR when the
 * window is full or the page tables could not grow.
 */
dma_addr_t vpd_iova_window_map(struct vpd_iova_window *w, struct device *dev,
			       phys_addr_t phys, size_t size,
			       enum dma_data_direction dir)
{
	int prot = dev_is_dma_coherent(dev) ? IOMMU_CACHE : 0;
	unsigned long iova;

	if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
		prot |= IOMMU_READ;
	if (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)
		prot |= IOMMU_WRITE;
	iova = gen_pool_alloc(w->gp, size);
	if (!iova)
		return DMA_MAPPING_ERROR;
	if (iommu_map(w->domain, iova, phys, size, prot, GFP_ATOMIC)) {
		gen_pool_free(w->gp, iova, size);
		return DMA_MAPPING_ERROR;
	}
	return iova;
}

/**
 * vpd_iova_window_unmap() - end a mapping vpd_iova_window_map() made
 * @w: the window
 * @addr: what vpd_iova_window_map() returned
 * @size: the size it was given
 */
void vpd_iova_window_unmap(struct vpd_iova_window *w, dma_addr_t addr,
			   size_t size)
{
	iommu_unmap(w->domain, addr, size);
	gen_pool_free(w->gp, addr, size);
}

#else /* !VPD_IOMMU_DMA_DIRECT: the platform always has an ops table */

struct vpd_iova_window *
vpd_iova_window_create(struct device *dev, size_t max_mapping,
		       unsigned int entries)
{
	return NULL;
}

void vpd_iova_window_destroy(struct vpd_iova_window *w, struct device *dev)
{
}

size_t vpd_iova_window_size(struct vpd_iova_window *w)
{
	return 0;
}

dma_addr_t vpd_iova_window_map(struct vpd_iova_window *w, struct device *dev,
			       phys_addr_t phys, size_t size,
			       enum dma_data_direction dir)
{
	return DMA_MAPPING_ERROR;
}

void vpd_iova_window_unmap(struct vpd_iova_window *w, dma_addr_t addr,
			   size_t size)
{
}

#endif /* VPD_IOMMU_DMA_DIRECT */
