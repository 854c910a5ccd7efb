// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_pci_dma: a virtio PCI transport whose rings and buffers always go
 * through the DMA API of the PCI device.
 */

#include <linux/module.h>
#include <linux/pci.h>

static int vpd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return -ENODEV;
}

static void vpd_remove(struct pci_dev *pdev)
{
}

static struct pci_driver vpd_driver = {
	.name = "virtio-pci-dma",
	.probe = vpd_probe,
	.remove = vpd_remove,
};

module_pci_driver(vpd_driver);

MODULE_DESCRIPTION("Virtio PCI transport that always uses the DMA API");
MODULE_LICENSE("GPL");
