// SPDX-License-Identifier: GPL-2.0
/*
 * The one place that decides how a device's DMA is done.
 *
 * A virtio device that negotiated VIRTIO_F_ACCESS_PLATFORM accesses memory
 * the way the platform says (through an IOMMU, bounce buffers, encrypted
 * memory): it gets the platform's DMA ops. A device that did not is told
 * by the virtio spec to use guest-physical addresses: it gets our direct
 * ops, unless the platform cannot let it (memory-encrypted guests must
 * bounce through shared memory), which arch_virtio_wants_dma_ops() says.
 * Either way the rings and buffers go through the DMA API.
 */

#include <linux/dma-direct.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/swiotlb.h>
#include <xen/xen.h>

#include "virtio_pci_dma.h"
#include "virtio_pci_dma_trace.h"
#include "compat/vpd_compat.h"

#ifdef VPD_HAVE_CC_PLATFORM
#include <linux/cc_platform.h>
#endif
#ifdef CONFIG_PPC_SVM
#include <asm/svm.h>
#endif
#ifdef CONFIG_S390
#include <asm/uv.h>
#endif

static bool force_arch_dma;
module_param(force_arch_dma, bool, 0444);
MODULE_PARM_DESC(force_arch_dma,
		 "Act as if arch_virtio_wants_dma_ops() were true (default 0)");

const char *vpd_mode_name(enum vpd_mode mode)
{
	static const char * const names[] = {
		[VPD_MODE_DIRECT] = "direct",
		[VPD_MODE_PLATFORM] = "platform",
		[VPD_MODE_POOL] = "pool",
	};

	return names[mode];
}

/**
 * arch_virtio_wants_dma_ops() - must the platform's DMA ops stay in charge?
 * @pdev: the virtio PCI device
 *
 * True where the platform has to see every DMA mapping even for a device
 * that uses guest-physical addresses: guests whose memory is encrypted or
 * protected (AMD SEV, Intel TDX, arm64 CCA realms and, where the kernel
 * reports them, pKVM protected guests), powerpc secure guests
 * (ultravisor) and s390 protected guests, where the host can only read
 * memory the guest shared, and the platform's ops bounce through such
 * memory. A device given a restricted DMA pool by the firmware (a
 * restricted-dma-pool in the device tree) may reach only that pool,
 * through the platform's ops. And Xen guests, whose
 * pseudo-physical addresses are not what the device sees: the in-tree
 * vring_use_dma_api() keeps the DMA API under xen_domain() too.
 *
 * Return: true to keep the platform's ops for @pdev.
 */
bool arch_virtio_wants_dma_ops(struct pci_dev *pdev)
{
	if (xen_domain() || is_swiotlb_for_alloc(&pdev->dev))
		return true;
#if defined(CONFIG_X86) && defined(VPD_HAVE_CC_PLATFORM)
	return cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
#elif defined(CONFIG_ARM64) && defined(VPD_HAVE_CC_PLATFORM)
	/*
	 * A realm, or a pKVM protected guest where the kernel knows them;
	 * arm64's force_dma_unencrypted() agrees. 6.1 has no arm64
	 * cc_platform_has(): the stub says no.
	 */
	return cc_platform_has(CC_ATTR_MEM_ENCRYPT);
#elif defined(CONFIG_PPC_SVM)
	return is_secure_guest();
#elif defined(CONFIG_S390)
	return is_prot_virt_guest();
#else
	return false;
#endif
}

/*
 * Does an IOMMU translate the device's DMA? Then only a device that
 * negotiated ACCESS_PLATFORM goes through it, and only the platform's
 * ops hand out addresses it understands. Asked before our ops replace
 * the platform's.
 */
static bool vpd_iommu_translates(struct pci_dev *pdev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(&pdev->dev);

	if (domain && (domain->type & __IOMMU_DOMAIN_PAGING))
		return true;
	/*
	 * pseries: every PCI device sits behind TCE tables, with no IOMMU
	 * domain to ask. Their ops hand out TCE addresses, or addresses in
	 * a direct window at an offset: never guest-physical ones.
	 */
	return IS_ENABLED(CONFIG_PPC_PSERIES) && get_dma_ops(&pdev->dev);
}

/*
 * Never hand a device addresses it cannot use: is @mode right for a
 * device that did (or did not) negotiate ACCESS_PLATFORM? A pool hands
 * out platform addresses when the platform mapped it (@platform_pool).
 */
static int vpd_mode_usable(struct pci_dev *pdev, enum vpd_mode mode,
			   bool access_platform, bool arch_wants,
			   bool translates, bool platform_pool)
{
	bool platform_addresses = mode == VPD_MODE_PLATFORM ||
				  (mode == VPD_MODE_POOL && platform_pool);

	if (platform_addresses && !access_platform && translates) {
		pci_err(pdev, "platform DMA ops needed but the device bypasses the IOMMU that translates for it: enable VIRTIO_F_ACCESS_PLATFORM on the device (QEMU: iommu_platform=on)\n");
		return -EINVAL;
	}
	if (mode == VPD_MODE_DIRECT && access_platform && translates) {
		pci_err(pdev, "dma_mode=direct refused: the device translates its DMA through the IOMMU\n");
		return -EINVAL;
	}
	/* A guest-physical region is pseudo-physical under Xen. */
	if (mode == VPD_MODE_POOL && !platform_pool && xen_domain()) {
		pci_err(pdev, "dma_mode=pool refused: under Xen a device without VIRTIO_F_ACCESS_PLATFORM cannot reach a guest-physical region\n");
		return -EINVAL;
	}
	/* Nor can a device confined to its restricted DMA pool. */
	if (mode == VPD_MODE_POOL && !platform_pool &&
	    is_swiotlb_for_alloc(&pdev->dev)) {
		pci_err(pdev, "dma_mode=pool refused: the device reaches only its restricted DMA pool, not a guest-physical region: enable VIRTIO_F_ACCESS_PLATFORM on the device\n");
		return -EINVAL;
	}
	if (mode == VPD_MODE_DIRECT && arch_wants) {
		pci_err(pdev, "dma_mode=direct refused: the platform needs its DMA ops (memory encryption, a restricted DMA pool, Xen)\n");
		return -EINVAL;
	}
	return 0;
}

static enum vpd_mode vpd_choose_mode(struct vpd_dma *dma)
{
	switch (dma->policy.mode) {
	case VPD_WANT_DIRECT:
		return VPD_MODE_DIRECT;
	case VPD_WANT_PLATFORM:
		return VPD_MODE_PLATFORM;
	case VPD_WANT_POOL:
		return VPD_MODE_POOL;
	default:
		return dma->access_platform || dma->arch_wants ?
		       VPD_MODE_PLATFORM : VPD_MODE_DIRECT;
	}
}

/*
 * Does the DMA core's own direct mapping already give the device the
 * guest-physical address of every buffer, with nothing in between: no
 * ops and no IOMMU, no bus offset or encryption bit, no forced bounce, no
 * cache maintenance? Then, where that inline path is the cheaper (up to
 * 6.18, see vpd_compat.h), our direct ops would repeat it with an
 * indirect call and a lookup more on every map, and the device keeps
 * dma-direct. The mode is still direct; the calls are not seen
 * ("observed" reads 0). A device limited below its buffers still gets
 * them, through swiotlb, where our ops would fail the mapping. The audit
 * needs ops to see.
 */
static bool vpd_core_maps_direct(struct vpd_dma *dma, struct device *dev)
{
	return VPD_CORE_DIRECT_CHEAPER &&
	       !dma->policy.audit && !dma->translates && !get_dma_ops(dev) &&
	       !vpd_dev_uses_dma_iommu(dev) && !dev->dma_range_map &&
	       phys_to_dma(dev, PAGE_SIZE) == PAGE_SIZE &&
	       !is_swiotlb_force_bounce(dev) && dev_is_dma_coherent(dev);
}

/*
 * The ops to install for the chosen mode, behind the audit if it is on,
 * or NULL to leave the platform's. The platform's calls can be audited
 * only where they go through an ops table the audit can call in turn.
 */
static const struct dma_map_ops *vpd_mode_ops(struct vpd_dma *dma,
					      struct device *dev)
{
	const struct dma_map_ops *inner;

	switch (dma->mode) {
	case VPD_MODE_DIRECT:
		if (vpd_core_maps_direct(dma, dev))
			return NULL;
		inner = &vpd_direct_ops;
		break;
	case VPD_MODE_POOL:
		inner = &vpd_pool_ops;
		break;
	default:
		inner = dma->saved.ops;
		if (!dma->policy.audit)
			return NULL;
		if (!vpd_ops_can_map(inner) || vpd_dev_uses_dma_iommu(dev)) {
			dev_info(dev, "audit: the platform's DMA calls cannot be observed here\n");
			return NULL;
		}
		break;
	}
	dma->observed = dma->mode != VPD_MODE_PLATFORM;
	return vpd_audit_wrap(dma, inner);
}

/*
 * A virtio device has no segment limits: a descriptor takes any length,
 * anywhere. The PCI core's defaults (64 KiB, 4 GiB boundary) would split
 * and audit what needs no splitting. The ops may still limit a mapping
 * (swiotlb). A pool maps up to the largest block the page allocator
 * gives (what its region cannot hold goes to the overflow): its
 * max_mapping_size only asks drivers that size their segments by it
 * (virtio_blk) to leave room for other requests. virtio_scsi's host has
 * no DMA mask of its own and keeps the SCSI core's 64 KiB segments.
 */
static void vpd_set_segments(struct vpd_dma *dma, struct device *dev)
{
	if (!dev->dma_parms)
		return;
	dma->saved.max_seg_size = dma_get_max_seg_size(dev);
	dma->saved.seg_boundary = dma_get_seg_boundary(dev);
	dma_set_max_seg_size(dev, dma->mode == VPD_MODE_POOL ? vpd_pool_max_size() :
			     min_t(size_t, UINT_MAX, dma_max_mapping_size(dev)));
	dma_set_seg_boundary(dev, ULONG_MAX);
}

/* Can the platform's own ops take a device whose pool was declined? */
static bool vpd_platform_can_serve(struct vpd_dma *dma, struct pci_dev *pdev)
{
	const struct dma_map_ops *ops = get_dma_ops(&pdev->dev);

	if (ops && !vpd_ops_can_map(ops)) {
		pci_err(pdev, "pool: declined, and the platform's DMA ops map no single buffer\n");
		return false;
	}
	return !vpd_mode_usable(pdev, VPD_MODE_PLATFORM, dma->access_platform,
				dma->arch_wants, dma->translates,
				dma->access_platform);
}

/**
 * vpd_select_dma_ops() - choose, once, the DMA ops of a virtio PCI device
 * @dma: the device's DMA state; @dma->access_platform and @dma->policy
 *	must be set
 * @pdev: the PCI device whose ops are chosen
 *
 * Installs our direct ops, or leaves the platform's in place, following
 * the rule at the top of this file and the mode the policy asks for. What it
 * changes is saved in @dma and put back by vpd_restore_dma_ops().
 *
 * Return: 0; -EINVAL when no ops give the device usable addresses;
 * -EOPNOTSUPP when a pool is asked for where it could not serve every
 * request and the platform's ops cannot serve instead; -ENOMEM, -ENODEV.
 */
int vpd_select_dma_ops(struct vpd_dma *dma, struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	const struct dma_map_ops *ops;
	enum vpd_mode mode;
	int err;

	dma->arch_wants = force_arch_dma || arch_virtio_wants_dma_ops(pdev);
	dma->translates = vpd_iommu_translates(pdev);
	mode = vpd_choose_mode(dma);
	/* A pool of the platform's: only with the feature, see vpd_pool_create(). */
	err = vpd_mode_usable(pdev, mode, dma->access_platform, dma->arch_wants,
			      dma->translates, dma->access_platform);
	if (err)
		return err;
	dma->mode = mode;

	if (mode == VPD_MODE_POOL) {
		/* Made while the platform's ops are still in place. */
		err = vpd_pool_create(dma, pdev, dma->policy.pool_size);
		/*
		 * A pool that could not serve a request larger than its
		 * region would hang it: the platform's ops serve instead,
		 * where they may.
		 */
		if (err == -EOPNOTSUPP && vpd_platform_can_serve(dma, pdev)) {
			pci_warn(pdev, "pool: declined for this device, platform ops instead\n");
			dma->mode = VPD_MODE_PLATFORM;
		} else if (err) {
			return err;
		}
	}

	dma->saved.ops = get_dma_ops(dev);
	ops = vpd_mode_ops(dma, dev);
	if (ops) {
		dma->saved.installed = true;
		dma->saved.dma_iommu = vpd_dev_take_dma_iommu(dev);
		vpd_dev_take_ops_bypass(dev, &dma->saved.ops_bypass);
		set_dma_ops(dev, ops);
		/* The pool copies at syncs, the audit checks them. */
		dma->saved.dma_skip_sync =
			vpd_dev_set_skip_sync(dev, !ops->sync_single_for_cpu);
		if (get_dma_ops(dev) != ops) {
			pci_err(pdev, "DMA: the device did not take our ops\n");
			vpd_restore_dma_ops(dma, pdev);
			return -ENODEV;
		}
	}
	vpd_set_segments(dma, dev);

	pci_info(pdev, "DMA: %s ops%s (ACCESS_PLATFORM %s, arch wants DMA ops: %s)\n",
		 vpd_mode_name(dma->mode),
		 dma->mode == VPD_MODE_DIRECT && !ops ? ", the DMA core's own" : "",
		 dma->access_platform ? "negotiated" : "not negotiated",
		 dma->arch_wants ? "yes" : "no");
	trace_vpd_mode(pdev, dma);
	return 0;
}

/**
 * vpd_dma_negotiated() - check the chosen ops against what was negotiated
 * @dma: the device's DMA state
 * @pdev: the PCI device
 * @access_platform: ACCESS_PLATFORM was negotiated in the end
 *
 * The ops are chosen at probe from what the device offers, but a driver
 * may decline ACCESS_PLATFORM (virtio_balloon does: it hands the device
 * guest-physical page numbers). The ops stay; the device is refused if
 * they no longer give it usable addresses.
 *
 * Return: 0, or -EINVAL when the chosen ops do not fit any more.
 */
int vpd_dma_negotiated(struct vpd_dma *dma, struct pci_dev *pdev,
		       bool access_platform)
{
	if (access_platform == dma->access_platform)
		return 0;
	dma->access_platform = access_platform;
	if (!access_platform)
		pci_info(pdev, "the driver declined VIRTIO_F_ACCESS_PLATFORM\n");
	return vpd_mode_usable(pdev, dma->mode, access_platform, dma->arch_wants,
			       dma->translates,
			       dma->pool && vpd_pool_platform(dma->pool));
}

/**
 * vpd_dma_ring_packed_safe() - may the device use a packed ring?
 * @dma: the device's DMA state, its ops chosen
 * @dev: the PCI device
 *
 * virtio_ring's packed add path (6.1, 6.12) mishandles a failed mapping:
 * the descriptors of the chain after its head stay marked available for
 * the current wrap, and it returns -EIO (virtio_blk fails the request;
 * the split path returns -ENOMEM, which drivers retry). A later, shorter
 * chain at the same head then lets the device walk on into those stale
 * descriptors, whose buffers are gone. Documentation/virtio_dma/design.rst
 * has the details. Only direct ops without the audit, for a device that
 * reaches all memory, never fail a mapping; every other device keeps a
 * split ring.
 *
 * Return: true if no mapping of the device can fail.
 */
bool vpd_dma_ring_packed_safe(const struct vpd_dma *dma, struct device *dev)
{
	return dma->mode == VPD_MODE_DIRECT && !dma->audit &&
	       *dev->dma_mask == DMA_BIT_MASK(64) && !dev->bus_dma_limit;
}

/**
 * vpd_restore_dma_ops() - give a device back the DMA setup it came with
 * @dma: the device's DMA state, as vpd_select_dma_ops() left it
 * @pdev: the PCI device
 *
 * Also reports what the audit found leaked, and frees the pool through
 * the platform's ops once they are back.
 */
void vpd_restore_dma_ops(struct vpd_dma *dma, struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;

	/* Whatever the ops read now: what was taken is given back. */
	if (dma->saved.installed) {
		set_dma_ops(dev, dma->saved.ops);
		vpd_dev_restore_dma_iommu(dev, dma->saved.dma_iommu);
		vpd_dev_restore_ops_bypass(dev, &dma->saved.ops_bypass);
		vpd_dev_set_skip_sync(dev, dma->saved.dma_skip_sync);
		dma->saved.installed = false;
	}
	/* Only then: the audit's ops may not outlive its records. */
	vpd_audit_unwrap(dma, dev);
	if (dma->saved.max_seg_size && dev->dma_parms) {
		dma_set_max_seg_size(dev, dma->saved.max_seg_size);
		dma_set_seg_boundary(dev, dma->saved.seg_boundary);
	}
	vpd_pool_destroy(dma, pdev);
}
