/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels virtio_pci_dma builds for lives
 * here. The VPD_HAVE_* switches come from scripts/compat-probe.sh, which
 * reads the kernel's headers: Debian backports features into its stable
 * kernels, so version numbers would lie.
 */
#ifndef _VPD_COMPAT_H
#define _VPD_COMPAT_H

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vpd_compat_probed.h"

/*
 * Kconfig says so in a kernel tree; DKMS builds without it. Sizes from
 * user input are parsed as 64-bit values and kept in size_t.
 */
#if BITS_PER_LONG != 64
#error "virtio_pci_dma: 64-bit kernels only"
#endif

/*
 * Without an ops table per device (CONFIG_DMA_OPS until 6.9, then
 * CONFIG_ARCH_HAS_DMA_OPS) set_dma_ops() does nothing: the device would
 * keep the platform's DMA while this module believed its own installed.
 */
#if !defined(CONFIG_DMA_OPS) && !defined(CONFIG_ARCH_HAS_DMA_OPS)
#error "virtio_pci_dma needs per-device DMA ops: CONFIG_DMA_OPS or CONFIG_ARCH_HAS_DMA_OPS"
#endif

/*
 * find_vqs() took parallel arrays of callbacks, names and ctx flags until
 * struct virtqueue_info replaced them (6.11). The transport works on
 * struct vpd_vq_info; vpd_find_vqs() has the kernel's signature.
 */
#ifdef VPD_HAVE_VIRTQUEUE_INFO
#define vpd_vq_info virtqueue_info

int vpd_find_vqs_info(struct virtio_device *vdev, unsigned int nvqs,
		      struct virtqueue *vqs[], struct vpd_vq_info info[],
		      struct irq_affinity *desc);

static inline int vpd_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			       struct virtqueue *vqs[],
			       struct virtqueue_info info[],
			       struct irq_affinity *desc)
{
	return vpd_find_vqs_info(vdev, nvqs, vqs, info, desc);
}
#else
struct vpd_vq_info {
	const char *name;
	vq_callback_t *callback;
	bool ctx;
};

int vpd_find_vqs_info(struct virtio_device *vdev, unsigned int nvqs,
		      struct virtqueue *vqs[], struct vpd_vq_info info[],
		      struct irq_affinity *desc);

static inline int vpd_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			       struct virtqueue *vqs[],
			       vq_callback_t *callbacks[],
			       const char * const names[], const bool *ctx,
			       struct irq_affinity *desc)
{
	struct vpd_vq_info *info;
	unsigned int i;
	int err;

	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	for (i = 0; i < nvqs; i++) {
		info[i].name = names[i];
		info[i].callback = callbacks[i];
		info[i].ctx = ctx ? ctx[i] : false;
	}
	err = vpd_find_vqs_info(vdev, nvqs, vqs, info, desc);
	kfree(info);
	return err;
}
#endif

/*
 * Where the platform can set up a direct window (powerpc's TCE bypass:
 * CONFIG_DMA_OPS_BYPASS and arch_dma_map_page_direct()), the DMA core
 * goes around the ops table for the calls the window covers, with
 * dev->dma_ops_bypass set or below dev->bus_dma_limit. While our ops are
 * installed they must see every call: both are cleared, and put back.
 */
struct vpd_ops_bypass {
	bool ops_bypass;
	u64 bus_dma_limit;
};

static inline bool vpd_dev_ops_bypass(struct device *dev)
{
#if defined(VPD_HAVE_DEV_FLAG_DMA_OPS_BYPASS)
	return dev_dma_ops_bypass(dev);
#elif defined(CONFIG_DMA_OPS_BYPASS)
	return dev->dma_ops_bypass;
#else
	return false;
#endif
}

static inline void vpd_dev_assign_ops_bypass(struct device *dev, bool bypass)
{
#if defined(VPD_HAVE_DEV_FLAG_DMA_OPS_BYPASS)
	dev_assign_dma_ops_bypass(dev, bypass);
#elif defined(CONFIG_DMA_OPS_BYPASS)
	dev->dma_ops_bypass = bypass;
#endif
}

static inline void vpd_dev_take_ops_bypass(struct device *dev,
					   struct vpd_ops_bypass *saved)
{
	saved->ops_bypass = vpd_dev_ops_bypass(dev);
	vpd_dev_assign_ops_bypass(dev, false);
#ifdef CONFIG_ARCH_HAS_DMA_MAP_DIRECT
	saved->bus_dma_limit = dev->bus_dma_limit;
	dev->bus_dma_limit = 0;
#endif
}

static inline void vpd_dev_restore_ops_bypass(struct device *dev,
					      const struct vpd_ops_bypass *saved)
{
	vpd_dev_assign_ops_bypass(dev, saved->ops_bypass);
#ifdef CONFIG_ARCH_HAS_DMA_MAP_DIRECT
	dev->bus_dma_limit = saved->bus_dma_limit;
#endif
}

/*
 * Since 6.10 a device translated by the IOMMU reaches iommu-dma by a
 * direct call, flagged by dev->dma_iommu, without looking at dev->dma_ops:
 * installing our own ops means clearing the flag while we are bound.
 * 7.2 made the flag, like dma_skip_sync and dma_ops_bypass, a bit of
 * dev->flags behind accessors.
 */
#if defined(CONFIG_IOMMU_DMA) && \
	(defined(VPD_HAVE_DEV_FLAG_DMA_IOMMU) || defined(VPD_HAVE_DEV_DMA_IOMMU))
#define VPD_IOMMU_DMA_DIRECT 1
#endif

static inline bool vpd_dev_uses_dma_iommu(struct device *dev)
{
#if defined(VPD_HAVE_DEV_FLAG_DMA_IOMMU)
	return dev_dma_iommu(dev);
#elif defined(VPD_IOMMU_DMA_DIRECT)
	return dev->dma_iommu;
#else
	return false;
#endif
}

static inline void vpd_dev_restore_dma_iommu(struct device *dev, bool was)
{
#if defined(VPD_HAVE_DEV_FLAG_DMA_IOMMU)
	dev_assign_dma_iommu(dev, was);
#elif defined(VPD_IOMMU_DMA_DIRECT)
	dev->dma_iommu = was;
#endif
}

static inline bool vpd_dev_take_dma_iommu(struct device *dev)
{
	bool was = vpd_dev_uses_dma_iommu(dev);

	vpd_dev_restore_dma_iommu(dev, false);
	return was;
}

/*
 * Since 6.9 the core skips dma_sync_*() calls when it decided at bind
 * time that the device's ops need none; it decided before our ops were
 * installed, so the decision is redone for them.
 */
static inline bool vpd_dev_set_skip_sync(struct device *dev, bool skip)
{
#if defined(VPD_HAVE_DEV_FLAG_DMA_SKIP_SYNC)
	bool was = dev_dma_skip_sync(dev);

	dev_assign_dma_skip_sync(dev, skip);
	return was;
#elif defined(VPD_HAVE_DEV_DMA_SKIP_SYNC) && defined(CONFIG_DMA_NEED_SYNC)
	bool was = dev->dma_skip_sync;

	dev->dma_skip_sync = skip;
	return was;
#else
	return false;
#endif
}

/*
 * The ops' single-buffer callbacks. Until 6.18 a buffer came as a page
 * and an offset (map_page) and an MMIO range by its physical address
 * (map_resource); since 6.19 both come as a physical address to
 * map_phys, MMIO marked with DMA_ATTR_MMIO. This module's callbacks take
 * the 6.19 form everywhere; on older kernels VPD_DEFINE_PAGE_OPS() makes
 * the page and resource callbacks from them, marking MMIO with the bit
 * 6.19 took for DMA_ATTR_MMIO (6.18 defines it already, for
 * map_resource); vpd_ops_map_phys() takes the mark off again.
 *
 * DMA_ATTR_REQUIRE_COHERENT (7.3) asks for a mapping that is never
 * bounced: what the pool cannot give.
 */
#ifdef DMA_ATTR_REQUIRE_COHERENT
#define VPD_ATTR_REQUIRE_COHERENT DMA_ATTR_REQUIRE_COHERENT
#else
#define VPD_ATTR_REQUIRE_COHERENT 0
#endif

/*
 * Is the DMA core's own inline dma-direct no dearer than a call into ops
 * of ours? Measured (make bench, vpd_map_bench, a map+unmap pair under
 * icount): on 6.12 it is the floor, 0.82-0.85 us against our direct ops'
 * 0.92-0.95; on 7.3, whose core maps through dma_map_phys(), 1.22-1.31 us
 * against 0.90-0.94. Direct mode leaves a device on dma-direct only where
 * it is the cheaper (virtio_pci_dma_mode.c); the line is drawn at the
 * dma_map_phys() rework (6.19), between the two kernels measured.
 */
#ifdef VPD_HAVE_DMA_MAP_PHYS
#define VPD_CORE_DIRECT_CHEAPER false
#else
#define VPD_CORE_DIRECT_CHEAPER true
#endif

#ifdef VPD_HAVE_DMA_MAP_PHYS
#define VPD_ATTR_MMIO DMA_ATTR_MMIO

#define VPD_DEFINE_PAGE_OPS(prefix)
#define VPD_MAP_OPS(prefix)						\
	.map_phys = prefix##_map_phys,					\
	.unmap_phys = prefix##_unmap_phys

static inline bool vpd_ops_can_map(const struct dma_map_ops *ops)
{
	return ops && ops->map_phys && ops->unmap_phys;
}

static inline dma_addr_t vpd_ops_map_phys(const struct dma_map_ops *ops,
					  struct device *dev, phys_addr_t phys,
					  size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	return ops->map_phys(dev, phys, size, dir, attrs);
}

static inline void vpd_ops_unmap_phys(const struct dma_map_ops *ops,
				      struct device *dev, dma_addr_t addr,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs)
{
	ops->unmap_phys(dev, addr, size, dir, attrs);
}
#else
#ifdef DMA_ATTR_MMIO
#define VPD_ATTR_MMIO DMA_ATTR_MMIO
#else
#define VPD_ATTR_MMIO BIT(10)
#endif
static_assert(!(VPD_ATTR_MMIO & (DMA_ATTR_WEAK_ORDERING |
				 DMA_ATTR_WRITE_COMBINE |
				 DMA_ATTR_NO_KERNEL_MAPPING |
				 DMA_ATTR_SKIP_CPU_SYNC |
				 DMA_ATTR_FORCE_CONTIGUOUS |
				 DMA_ATTR_ALLOC_SINGLE_PAGES |
				 DMA_ATTR_NO_WARN | DMA_ATTR_PRIVILEGED)));

#define VPD_DEFINE_PAGE_OPS(prefix)					\
static dma_addr_t prefix##_map_page(struct device *dev,		\
				    struct page *page,			\
				    unsigned long offset, size_t size,	\
				    enum dma_data_direction dir,	\
				    unsigned long attrs)		\
{									\
	return prefix##_map_phys(dev, page_to_phys(page) + offset,	\
				 size, dir, attrs);			\
}									\
static void prefix##_unmap_page(struct device *dev, dma_addr_t addr,	\
				size_t size,				\
				enum dma_data_direction dir,		\
				unsigned long attrs)			\
{									\
	prefix##_unmap_phys(dev, addr, size, dir, attrs);		\
}									\
static dma_addr_t prefix##_map_resource(struct device *dev,		\
					phys_addr_t phys, size_t size,	\
					enum dma_data_direction dir,	\
					unsigned long attrs)		\
{									\
	return prefix##_map_phys(dev, phys, size, dir,			\
				 attrs | VPD_ATTR_MMIO);		\
}									\
static void prefix##_unmap_resource(struct device *dev,		\
				    dma_addr_t addr, size_t size,	\
				    enum dma_data_direction dir,	\
				    unsigned long attrs)		\
{									\
	prefix##_unmap_phys(dev, addr, size, dir,			\
			    attrs | VPD_ATTR_MMIO);			\
}

#define VPD_MAP_OPS(prefix)						\
	.map_page = prefix##_map_page,					\
	.unmap_page = prefix##_unmap_page,				\
	.map_resource = prefix##_map_resource,				\
	.unmap_resource = prefix##_unmap_resource

static inline bool vpd_ops_can_map(const struct dma_map_ops *ops)
{
	return ops && ops->map_page && ops->unmap_page;
}

static inline dma_addr_t vpd_ops_map_phys(const struct dma_map_ops *ops,
					  struct device *dev, phys_addr_t phys,
					  size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	if (!(attrs & VPD_ATTR_MMIO))
		return ops->map_page(dev, pfn_to_page(PHYS_PFN(phys)),
				     offset_in_page(phys), size, dir, attrs);
	if (!ops->map_resource)
		return DMA_MAPPING_ERROR;
	return ops->map_resource(dev, phys, size, dir, attrs & ~VPD_ATTR_MMIO);
}

static inline void vpd_ops_unmap_phys(const struct dma_map_ops *ops,
				      struct device *dev, dma_addr_t addr,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs)
{
	if (!(attrs & VPD_ATTR_MMIO))
		ops->unmap_page(dev, addr, size, dir, attrs);
	else if (ops->unmap_resource)
		ops->unmap_resource(dev, addr, size, dir, attrs & ~VPD_ATTR_MMIO);
}
#endif

#endif /* _VPD_COMPAT_H */
