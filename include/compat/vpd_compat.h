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
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vpd_compat_probed.h"

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

static inline void vpd_dev_take_ops_bypass(struct device *dev,
					   struct vpd_ops_bypass *saved)
{
#ifdef CONFIG_DMA_OPS_BYPASS
	saved->ops_bypass = dev->dma_ops_bypass;
	dev->dma_ops_bypass = false;
#endif
#ifdef CONFIG_ARCH_HAS_DMA_MAP_DIRECT
	saved->bus_dma_limit = dev->bus_dma_limit;
	dev->bus_dma_limit = 0;
#endif
}

static inline bool vpd_dev_ops_bypass(struct device *dev)
{
#ifdef CONFIG_DMA_OPS_BYPASS
	return dev->dma_ops_bypass;
#else
	return false;
#endif
}

static inline void vpd_dev_restore_ops_bypass(struct device *dev,
					      const struct vpd_ops_bypass *saved)
{
#ifdef CONFIG_DMA_OPS_BYPASS
	dev->dma_ops_bypass = saved->ops_bypass;
#endif
#ifdef CONFIG_ARCH_HAS_DMA_MAP_DIRECT
	dev->bus_dma_limit = saved->bus_dma_limit;
#endif
}

/*
 * Since 6.10 a device translated by the IOMMU reaches iommu-dma by a
 * direct call, flagged by dev->dma_iommu, without looking at dev->dma_ops:
 * installing our own ops means clearing the flag while we are bound.
 */
static inline bool vpd_dev_take_dma_iommu(struct device *dev)
{
#ifdef VPD_HAVE_DEV_DMA_IOMMU
	bool was = dev->dma_iommu;

	dev->dma_iommu = false;
	return was;
#else
	return false;
#endif
}

static inline bool vpd_dev_uses_dma_iommu(struct device *dev)
{
#ifdef VPD_HAVE_DEV_DMA_IOMMU
	return dev->dma_iommu;
#else
	return false;
#endif
}

static inline void vpd_dev_restore_dma_iommu(struct device *dev, bool was)
{
#ifdef VPD_HAVE_DEV_DMA_IOMMU
	dev->dma_iommu = was;
#endif
}

/*
 * Since 6.9 the core skips dma_sync_*() calls when it decided at bind
 * time that the device's ops need none; it decided before our ops were
 * installed, so the decision is redone for them.
 */
static inline bool vpd_dev_set_skip_sync(struct device *dev, bool skip)
{
#ifdef VPD_HAVE_DEV_DMA_SKIP_SYNC
	bool was = dev->dma_skip_sync;

	dev->dma_skip_sync = skip;
	return was;
#else
	return false;
#endif
}

#endif /* _VPD_COMPAT_H */
