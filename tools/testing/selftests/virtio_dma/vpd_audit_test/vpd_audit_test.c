// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: commits DMA API violations on purpose against the DMA
 * ops of one virtio PCI device, so that a test can check that the
 * virtio_pci_dma audit reports each exactly once, with the right kind and
 * this module as the caller. Never load it outside a test machine.
 *
 *   device=<pci address>   the device, bound to virtio-pci-dma, audit=1
 *   pool=0: the violations any mode sees, and one leak (reported at
 *           unbind); pool=1: a vmalloc buffer, guard bytes and poison,
 *           which need a guest-physical pool
 *   stale=1: no violation, a check: a FROM_DEVICE mapping made with
 *           DMA_ATTR_SKIP_CPU_SYNC in a bounce slot that held other
 *           data, synced for the CPU before the device wrote anything,
 *           must hand back the buffer's own bytes, not the slot's
 *   mmio=1: no violation, a report: dma_map_resource() of the device's
 *           first memory BAR, as a peer-to-peer user would; says where
 *           it landed, or that it was refused, and unmaps it
 *
 * The helpers are not inlined: init code is freed after loading, and the
 * leak is reported, with the frame that made it, after that.
 */

#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/kmemleak.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

static char *device;
module_param(device, charp, 0444);
MODULE_PARM_DESC(device, "PCI address of the device to misuse");

static bool pool;
module_param(pool, bool, 0444);
MODULE_PARM_DESC(pool, "Commit the pool-mode violations instead");

static bool stale;
module_param(stale, bool, 0444);
MODULE_PARM_DESC(stale, "Check that bounce slots hand back no earlier data");

static bool mmio;
module_param(mmio, bool, 0444);
MODULE_PARM_DESC(mmio, "Map the device's first memory BAR with dma_map_resource()");

static void *leaked;

static void vpd_at_say(const char *what)
{
	pr_info("committing %s\n", what);
}

static noinline void vpd_at_unmapped(struct device *dev)
{
	vpd_at_say("unmap_not_mapped");
	dma_unmap_single(dev, 0xdead0000, 64, DMA_TO_DEVICE);
	vpd_at_say("sync_not_mapped");
	dma_sync_single_for_cpu(dev, 0xbeef0000, 64, DMA_FROM_DEVICE);
}

static noinline void vpd_at_unmaps(struct device *dev, void *buf)
{
	dma_addr_t a;

	vpd_at_say("double_unmap");
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, a))
		return;
	dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);

	vpd_at_say("size_mismatch");
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	if (!dma_mapping_error(dev, a))
		dma_unmap_single(dev, a, 128, DMA_TO_DEVICE);

	vpd_at_say("dir_mismatch");
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	if (!dma_mapping_error(dev, a))
		dma_unmap_single(dev, a, 256, DMA_FROM_DEVICE);
}

static noinline void vpd_at_syncs(struct device *dev, void *buf)
{
	dma_addr_t a;

	vpd_at_say("sync_beyond");
	a = dma_map_single(dev, buf, 256, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, a))
		return;
	dma_sync_single_for_cpu(dev, a + 128, 256, DMA_FROM_DEVICE);
	dma_unmap_single(dev, a, 256, DMA_FROM_DEVICE);

	vpd_at_say("sync_dir");
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, a))
		return;
	dma_sync_single_for_cpu(dev, a, 256, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);
}

/* virt_to_page() of a non-linear address: the bug the audit catches. */
static noinline void vpd_at_map_bad(struct device *dev, void *addr)
{
	dma_addr_t a = dma_map_page(dev, virt_to_page(addr), offset_in_page(addr),
				    64, DMA_TO_DEVICE);

	if (!dma_mapping_error(dev, a))
		dma_unmap_page(dev, a, 64, DMA_TO_DEVICE);
}

static noinline void vpd_at_stack(struct device *dev)
{
	char on_stack[64];

	vpd_at_say("bad_memory (stack)");
	vpd_at_map_bad(dev, on_stack);
}

static noinline void vpd_at_free(struct device *dev, void *buf)
{
	vpd_at_say("free_mismatch");
	dma_free_coherent(dev, 256, buf, 0xcafe0000);
}

static noinline void vpd_at_limits(struct device *dev, void *buf)
{
	u64 mask = dma_get_mask(dev);
	unsigned int seg = dma_get_max_seg_size(dev);
	unsigned long boundary = dma_get_seg_boundary(dev);
	struct page *pages;
	dma_addr_t a;

	vpd_at_say("beyond_mask");
	if (!dma_set_mask(dev, DMA_BIT_MASK(20))) {
		a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
		if (!dma_mapping_error(dev, a))
			dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);
		dma_set_mask(dev, mask);
	}

	vpd_at_say("seg_size");
	dma_set_max_seg_size(dev, 4096);
	a = dma_map_single(dev, buf, 8192, DMA_TO_DEVICE);
	if (!dma_mapping_error(dev, a))
		dma_unmap_single(dev, a, 8192, DMA_TO_DEVICE);
	dma_set_max_seg_size(dev, seg);

	vpd_at_say("seg_boundary");
	pages = alloc_pages(GFP_KERNEL, 1);
	if (!pages)
		return;
	dma_set_seg_boundary(dev, PAGE_SIZE - 1);
	a = dma_map_page(dev, pages, PAGE_SIZE - 128, 256, DMA_TO_DEVICE);
	if (!dma_mapping_error(dev, a))
		dma_unmap_page(dev, a, 256, DMA_TO_DEVICE);
	dma_set_seg_boundary(dev, boundary);
	__free_pages(pages, 1);
}

static noinline void vpd_at_overlap(struct device *dev, void *buf)
{
	dma_addr_t a, b;

	vpd_at_say("overlap");
	a = dma_map_single(dev, buf, 256, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, a))
		return;
	b = dma_map_single(dev, buf + 128, 256, DMA_FROM_DEVICE);
	if (!dma_mapping_error(dev, b))
		dma_unmap_single(dev, b, 256, DMA_FROM_DEVICE);
	dma_unmap_single(dev, a, 256, DMA_FROM_DEVICE);
}

/*
 * Stays mapped: the audit reports it when the device unbinds. Freeing a
 * mapped buffer would be one more misuse, so the memory is leaked too,
 * on purpose: kmemleak (debug kernels) is told not to report it.
 */
static noinline void vpd_at_leak(struct device *dev)
{
	vpd_at_say("leak");
	leaked = kmalloc(512, GFP_KERNEL);
	if (!leaked)
		return;
	kmemleak_ignore(leaked);
	dma_map_single(dev, leaked, 512, DMA_TO_DEVICE);
}

static noinline void vpd_at_any_mode(struct device *dev)
{
	void *buf = kzalloc(8192, GFP_KERNEL);

	if (!buf)
		return;
	vpd_at_unmapped(dev);
	vpd_at_unmaps(dev, buf);
	vpd_at_syncs(dev, buf);
	vpd_at_stack(dev);
	vpd_at_free(dev, buf);
	vpd_at_limits(dev, buf);
	vpd_at_overlap(dev, buf);
	vpd_at_leak(dev);
	kfree(buf);
}

/*
 * The pool is guest-physical here, so its slots can be written through
 * the linear map, as a misbehaving device would.
 */
static noinline void vpd_at_pool(struct device *dev)
{
	void *buf = kzalloc(256, GFP_KERNEL);
	void *vbuf = vmalloc(64);
	dma_addr_t a;

	if (!buf || !vbuf)
		goto out;
	vpd_at_say("bad_memory (vmalloc)");
	vpd_at_map_bad(dev, vbuf);

	vpd_at_say("guard");
	a = dma_map_single(dev, buf, 256, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, a))
		goto out;
	*(u8 *)phys_to_virt(a + 256) = 0;
	dma_unmap_single(dev, a, 256, DMA_FROM_DEVICE);

	vpd_at_say("poison");
	/* Each CPU has an area of the pool: stay on one. */
	migrate_disable();
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	if (!dma_mapping_error(dev, a)) {
		dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);
		*(u8 *)phys_to_virt(a) = 0;
		/* The slot just freed, the last taken, is taken again. */
		a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
		if (!dma_mapping_error(dev, a))
			dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);
	}
	migrate_enable();
out:
	vfree(vbuf);
	kfree(buf);
}

/*
 * swiotlb copies into the bounce slot at map whatever the attributes say
 * (a device that writes less than the buffer must not hand back stale
 * bounce data): so must the pool. The slot first holds 0xaa from a
 * TO_DEVICE mapping, freed as the last taken, which the pool hands out
 * again.
 */
static noinline void vpd_at_stale(struct device *dev)
{
	u8 *old = kmalloc(4096, GFP_KERNEL);
	u8 *buf = kzalloc(4096, GFP_KERNEL);
	unsigned int i, n = 0;
	dma_addr_t a, was;

	if (!old || !buf)
		goto fail;
	memset(old, 0xaa, 4096);
	/* Each CPU has an area of the pool: stay on one. */
	migrate_disable();
	was = dma_map_single(dev, old, 4096, DMA_TO_DEVICE);
	a = DMA_MAPPING_ERROR;
	if (!dma_mapping_error(dev, was)) {
		dma_unmap_single(dev, was, 4096, DMA_TO_DEVICE);
		a = dma_map_single_attrs(dev, buf, 4096, DMA_FROM_DEVICE,
					 DMA_ATTR_SKIP_CPU_SYNC);
	}
	migrate_enable();
	if (dma_mapping_error(dev, a))
		goto fail;
	if (a != was) {
		dma_unmap_single_attrs(dev, a, 4096, DMA_FROM_DEVICE,
				       DMA_ATTR_SKIP_CPU_SYNC);
		pr_err("stale bounce data: not checked, the slot was not taken again\n");
		goto out;
	}
	dma_sync_single_for_cpu(dev, a, 4096, DMA_FROM_DEVICE);
	for (i = 0; i < 4096; i++)
		n += buf[i] != 0;
	dma_unmap_single_attrs(dev, a, 4096, DMA_FROM_DEVICE,
			       DMA_ATTR_SKIP_CPU_SYNC);
	if (n)
		pr_err("stale bounce data: %u of 4096 bytes came from an earlier mapping\n", n);
	else
		pr_info("stale bounce data: none\n");
	goto out;
fail:
	pr_err("stale bounce data: not checked, no memory or no mapping\n");
out:
	kfree(buf);
	kfree(old);
}

/* 6.19 passes this through map_phys with DMA_ATTR_MMIO, before through map_resource. */
static noinline void vpd_at_mmio(struct pci_dev *pdev)
{
	phys_addr_t phys;
	dma_addr_t a;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pci_resource_flags(pdev, bar) & IORESOURCE_MEM)
			break;
	if (bar == PCI_STD_NUM_BARS || pci_resource_len(pdev, bar) < 4096) {
		pr_err("mmio: no memory BAR of a page\n");
		return;
	}
	phys = pci_resource_start(pdev, bar);
	a = dma_map_resource(&pdev->dev, phys, 4096, DMA_BIDIRECTIONAL, 0);
	if (dma_mapping_error(&pdev->dev, a)) {
		pr_info("mmio: %pa refused\n", &phys);
		return;
	}
	pr_info("mmio: %pa mapped at %pad\n", &phys, &a);
	dma_unmap_resource(&pdev->dev, a, 4096, DMA_BIDIRECTIONAL, 0);
}

static int __init vpd_at_init(void)
{
	unsigned int domain, bus, slot, fn;
	struct pci_dev *pdev;

	if (!device || sscanf(device, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4) {
		pr_err("device=%s: expected a PCI address\n", device ?: "");
		return -EINVAL;
	}
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
	if (!pdev) {
		pr_err("device=%s: no such PCI device\n", device);
		return -ENODEV;
	}
	if (mmio)
		vpd_at_mmio(pdev);
	else if (stale)
		vpd_at_stale(&pdev->dev);
	else if (pool)
		vpd_at_pool(&pdev->dev);
	else
		vpd_at_any_mode(&pdev->dev);
	pci_dev_put(pdev);
	return 0;
}
module_init(vpd_at_init);

static void __exit vpd_at_exit(void)
{
}
module_exit(vpd_at_exit);

MODULE_DESCRIPTION("Commits DMA API violations for the virtio_pci_dma audit test");
MODULE_LICENSE("GPL");
