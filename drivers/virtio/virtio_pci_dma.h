/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_pci_dma: what the transport, the DMA modes and the sysfs/debugfs
 * files share.
 */
#ifndef _VIRTIO_PCI_DMA_H
#define _VIRTIO_PCI_DMA_H

#include <linux/atomic.h>
#include <linux/dma-map-ops.h>
#include <linux/pci.h>
#include <linux/virtio.h>
#include <linux/virtio_pci_modern.h>

#include "compat/vpd_compat.h"

enum vpd_mode {
	VPD_MODE_DIRECT,
	VPD_MODE_PLATFORM,
	VPD_MODE_POOL,
};

/* The mode asked for (dma_mode=, policy=): auto lets the rule decide. */
enum vpd_want {
	VPD_WANT_AUTO,
	VPD_WANT_DIRECT,
	VPD_WANT_PLATFORM,
	VPD_WANT_POOL,
};

/**
 * struct vpd_policy - what a device is asked to get, fixed at its bind
 * @mode: the mode asked for
 * @pool_size: its region, in pool mode
 * @audit: the audit checks its DMA calls
 */
struct vpd_policy {
	enum vpd_want mode;
	size_t pool_size;
	bool audit;
};

/*
 * What the module counts of the DMA calls it sees, per device and per CPU:
 * counting must not put a shared cache line on every map and unmap.
 */
struct vpd_cpu_stats {
	u64 maps;
	u64 unmaps;
	u64 syncs;
	u64 allocs;
	u64 frees;
	u64 bytes_mapped;
	u64 bounce_to_device;
	u64 bounce_from_device;
};

struct vpd_stats {
	struct vpd_cpu_stats __percpu *cpu;
};

/*
 * What a bounce pool counts, per device: @exhausted, mappings the region
 * could not hold; of those, @overflow_maps (@overflow_bytes) went through
 * an overflow buffer and @overflow_failed went back to the driver.
 */
struct vpd_pool_stats {
	atomic64_t used_max;
	atomic64_t exhausted;
	atomic64_t platform_maps;
	atomic64_t overflow_maps;
	atomic64_t overflow_bytes;
	atomic64_t overflow_failed;
};

struct vpd_pool;
struct vpd_audit;

/* What the audit tells apart (virtio_pci_dma_audit.c). */
enum vpd_audit_kind {
	VPD_AUDIT_UNMAP_NOT_MAPPED,
	VPD_AUDIT_DOUBLE_UNMAP,
	VPD_AUDIT_SIZE_MISMATCH,
	VPD_AUDIT_DIR_MISMATCH,
	VPD_AUDIT_SYNC_NOT_MAPPED,
	VPD_AUDIT_SYNC_BEYOND,
	VPD_AUDIT_SYNC_DIR,
	VPD_AUDIT_BAD_MEMORY,
	VPD_AUDIT_FREE_MISMATCH,
	VPD_AUDIT_BEYOND_MASK,
	VPD_AUDIT_SEG_SIZE,
	VPD_AUDIT_SEG_BOUNDARY,
	VPD_AUDIT_OVERLAP,
	VPD_AUDIT_GUARD,
	VPD_AUDIT_POISON,
	VPD_AUDIT_LEAK,
	VPD_AUDIT_KINDS
};

/**
 * struct vpd_dma - how one device's DMA is done, decided once at probe
 * @policy: what was asked for the device (virtio_pci_dma_policy.c)
 * @virtio_id: the device's virtio type
 * @mode: the ops the device got
 * @access_platform: the device negotiated VIRTIO_F_ACCESS_PLATFORM (at
 *	probe: offers it)
 * @arch_wants: arch_virtio_wants_dma_ops() (or force_arch_dma) said yes
 * @observed: the module sees every DMA call, so @stats are complete
 * @largest_queue: the size of the device's largest queue, as offered at
 *	probe: no descriptor chain is longer (the pool's overflow holds one)
 * @stats: counters of the calls seen
 * @pool: the bounce region, in pool mode
 * @audit: the audit's records, when @policy.audit
 * @saved: what selecting the ops changed on the PCI device, restored
 *	at unbind (@saved.installed: our ops were installed)
 */
struct vpd_dma {
	struct vpd_policy policy;
	u32 virtio_id;
	enum vpd_mode mode;
	bool access_platform;
	bool arch_wants;
	bool translates;
	bool observed;
	u16 largest_queue;
	struct vpd_stats stats;
	struct vpd_pool *pool;
	struct vpd_audit *audit;
	struct {
		bool installed;
		const struct dma_map_ops *ops;
		unsigned int max_seg_size;
		unsigned long seg_boundary;
		u64 dma_mask;
		u64 coherent_dma_mask;
		bool dma_iommu;
		bool dma_skip_sync;
		struct vpd_ops_bypass ops_bypass;
	} saved;
};

struct vpd_vq;
struct vpd_vector;

/**
 * struct vpd_device - a virtio PCI device driven by this transport
 * @vdev: the virtio device registered on the virtio bus
 * @mdev: register access, through the kernel's vp_modern library
 * @dma: the device's DMA mode and counters
 * @vqs: the virtqueues of the last find_vqs, @nvqs of them
 * @irq_mode: how the virtqueues interrupt
 * @nvectors: MSI-X vectors allocated (0 with INTx)
 * @vectors: what was requested on each MSI-X vector
 * @intx_requested: the INTx line is requested
 * @debugfs: the device's directory under virtio_dma/ in debugfs
 * @reset_parked: the drivers were parked for a function reset
 */
struct vpd_device {
	struct virtio_device vdev;
	struct virtio_pci_modern_device mdev;
	struct vpd_dma dma;
	struct vpd_vq *vqs;
	unsigned int nvqs;
	enum {
		VPD_IRQ_NONE,
		VPD_IRQ_MSIX_PER_VQ,
		VPD_IRQ_MSIX_SHARED,
		VPD_IRQ_INTX,
	} irq_mode;
	unsigned int nvectors;
	struct vpd_vector *vectors;
	bool intx_requested;
	struct dentry *debugfs;
	bool reset_parked;
	bool holds_module;
};

/* The DMA state of the device whose PCI driver data is a vpd_device. */
static inline struct vpd_dma *vpd_dma_of(struct device *dev)
{
	struct vpd_device *vpd = dev_get_drvdata(dev);

	return &vpd->dma;
}

/* virtio_pci_dma_mode.c: the one place that decides a device's DMA ops */
int vpd_select_dma_ops(struct vpd_dma *dma, struct pci_dev *pdev);
int vpd_dma_negotiated(struct vpd_dma *dma, struct pci_dev *pdev,
		       bool access_platform);
void vpd_restore_dma_ops(struct vpd_dma *dma, struct pci_dev *pdev);
bool vpd_dma_ring_packed_safe(const struct vpd_dma *dma, struct device *dev);
bool arch_virtio_wants_dma_ops(struct pci_dev *pdev);
const char *vpd_mode_name(enum vpd_mode mode);

/* virtio_pci_dma_policy.c: the parameters, and policy= per device */
void vpd_policy_get(struct pci_dev *pdev, u32 virtio_id, struct vpd_policy *p);

/* virtio_pci_dma_direct.c */
extern const struct dma_map_ops vpd_direct_ops;
int vpd_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
	       enum dma_data_direction dir, unsigned long attrs);
void vpd_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
		  enum dma_data_direction dir, unsigned long attrs);
void vpd_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir);
void vpd_sync_sg_for_device(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir);

/* virtio_pci_dma_pool.c */
extern const struct dma_map_ops vpd_pool_ops;
const char *vpd_pool_check_size(size_t size);
size_t vpd_pool_max_size(void);
int vpd_pool_create(struct vpd_dma *dma, struct pci_dev *pdev, size_t size);
void vpd_pool_destroy(struct vpd_dma *dma, struct pci_dev *pdev);
bool vpd_pool_platform(struct vpd_pool *pool);
struct vpd_pool_stats *vpd_pool_stats(struct vpd_pool *pool);
size_t vpd_pool_size(struct vpd_pool *pool);
size_t vpd_pool_used(struct vpd_pool *pool);

/* virtio_pci_dma_shared.c: the pool's overflow in encrypted guests */
struct vpd_shared;
struct vpd_shared_buf;
struct vpd_shared *vpd_shared_create(struct device *dev, u64 cap);
void vpd_shared_quiesce(struct vpd_shared *sh);
void vpd_shared_destroy(struct vpd_shared *sh);
struct vpd_shared_buf *vpd_shared_take(struct vpd_shared *sh, size_t size);
void vpd_shared_give(struct vpd_shared *sh, struct vpd_shared_buf *b);
void *vpd_shared_vaddr(struct vpd_shared_buf *b);
u64 vpd_shared_bytes(struct vpd_shared *sh);

/* virtio_pci_dma_iova.c: the pool's overflow through iommu-dma */
struct vpd_iova_window;
struct vpd_iova_window *
vpd_iova_window_create(struct device *dev, size_t max_mapping,
		       unsigned int entries);
void vpd_iova_window_destroy(struct vpd_iova_window *w, struct device *dev);
size_t vpd_iova_window_size(struct vpd_iova_window *w);
dma_addr_t vpd_iova_window_map(struct vpd_iova_window *w, struct device *dev,
			       phys_addr_t phys, size_t size,
			       enum dma_data_direction dir);
void vpd_iova_window_unmap(struct vpd_iova_window *w, dma_addr_t addr,
			   size_t size);

/* virtio_pci_dma_audit.c */
int vpd_audit_init(void);
void vpd_audit_exit(void);
const struct dma_map_ops *vpd_audit_wrap(struct vpd_dma *dma,
					 const struct dma_map_ops *inner);
void vpd_audit_unwrap(struct vpd_dma *dma, struct device *dev);
void vpd_audit_report(struct device *dev, enum vpd_audit_kind kind,
		      dma_addr_t addr);
const char *vpd_audit_key(enum vpd_audit_kind kind);
struct seq_file;
int vpd_audit_show(struct seq_file *m, struct vpd_dma *dma);

/* virtio_pci_dma_main.c */
int vpd_queues_show(struct seq_file *m, struct vpd_device *vpd);

/* virtio_pci_dma_stats.c */
void vpd_stats_map(struct vpd_stats *s, size_t size);
void vpd_stats_unmap(struct vpd_stats *s);
u64 vpd_stats_outstanding(struct vpd_stats *s);
extern const struct attribute_group *vpd_dev_groups[];
void vpd_debugfs_add(struct vpd_device *vpd);
void vpd_debugfs_add_queues(struct vpd_device *vpd);
void vpd_debugfs_remove(struct vpd_device *vpd);
void vpd_debugfs_init(void);
void vpd_debugfs_exit(void);

#endif /* _VIRTIO_PCI_DMA_H */
