// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_pci_dma: a virtio PCI transport whose rings and buffers always go
 * through the DMA API of the PCI device.
 *
 * Register access is the kernel's vp_modern library, the rings are the
 * kernel's virtio_ring; what this file adds is the binding, interrupts and
 * one change of contract: every device is presented to virtio_ring as if it
 * had negotiated VIRTIO_F_ACCESS_PLATFORM, so that the ring always uses the
 * DMA API, while the device itself is told the features it really
 * negotiated. virtio_pci_dma_mode.c then decides which DMA ops make the
 * addresses right for the device.
 */

#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "virtio_pci_dma.h"
#include "virtio_pci_dma_trace.h"
#include "compat/vpd_compat.h"

/* Transport features this transport implements; others are refused. */
#define VPD_TRANSPORT_FEATURES (BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) | \
				BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |     \
				BIT_ULL(VIRTIO_F_VERSION_1) |          \
				BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |    \
				BIT_ULL(VIRTIO_F_RING_PACKED) |        \
				BIT_ULL(VIRTIO_F_ORDER_PLATFORM))
#define VPD_TRANSPORT_RANGE GENMASK_ULL(VIRTIO_TRANSPORT_F_END - 1, \
					VIRTIO_TRANSPORT_F_START)

/**
 * struct vpd_vq - a virtqueue as the transport sees it
 * @vq: the virtio_ring virtqueue
 * @notify: where kicking it is written
 * @vector: its MSI-X vector, or VIRTIO_MSI_NO_VECTOR
 * @affinity: the CPUs its vector was last pinned to
 */
struct vpd_vq {
	struct virtqueue *vq;
	void __iomem *notify;
	u16 vector;
	cpumask_var_t affinity;
};

/* An MSI-X vector and what was requested on it (dev_id NULL: nothing). */
struct vpd_vector {
	char name[32];
	void *dev_id;
};

static struct vpd_device *to_vpd(struct virtio_device *vdev)
{
	return container_of(vdev, struct vpd_device, vdev);
}

static struct pci_dev *vpd_pci(struct vpd_device *vpd)
{
	return vpd->mdev.pci_dev;
}

static bool vpd_config_in_range(struct vpd_device *vpd, unsigned int offset,
				unsigned int len, const char *what)
{
	if (offset + len <= vpd->mdev.device_len && offset + len >= offset)
		return true;
	dev_err_ratelimited(&vpd->vdev.dev, "config %s %u+%u beyond %zu\n",
			    what, offset, len, vpd->mdev.device_len);
	return false;
}

/* Device-specific configuration: each field read with its natural width. */
static void vpd_get(struct virtio_device *vdev, unsigned int offset,
		    void *buf, unsigned int len)
{
	struct vpd_device *vpd = to_vpd(vdev);
	void __iomem *addr = vpd->mdev.device + offset;
	__le16 w;
	__le32 l;

	if (!vpd_config_in_range(vpd, offset, len, "read")) {
		memset(buf, 0, len);
		return;
	}
	switch (len) {
	case 1:
		*(u8 *)buf = ioread8(addr);
		break;
	case 2:
		w = cpu_to_le16(ioread16(addr));
		memcpy(buf, &w, sizeof(w));
		break;
	case 4:
		l = cpu_to_le32(ioread32(addr));
		memcpy(buf, &l, sizeof(l));
		break;
	case 8:
		l = cpu_to_le32(ioread32(addr));
		memcpy(buf, &l, sizeof(l));
		l = cpu_to_le32(ioread32(addr + sizeof(l)));
		memcpy(buf + sizeof(l), &l, sizeof(l));
		break;
	default:
		dev_err_ratelimited(&vdev->dev, "config read of %u bytes\n", len);
		memset(buf, 0, len);
	}
}

static void vpd_set(struct virtio_device *vdev, unsigned int offset,
		    const void *buf, unsigned int len)
{
	struct vpd_device *vpd = to_vpd(vdev);
	void __iomem *addr = vpd->mdev.device + offset;
	__le16 w;
	__le32 l;

	if (!vpd_config_in_range(vpd, offset, len, "write"))
		return;
	switch (len) {
	case 1:
		iowrite8(*(const u8 *)buf, addr);
		break;
	case 2:
		memcpy(&w, buf, sizeof(w));
		iowrite16(le16_to_cpu(w), addr);
		break;
	case 4:
		memcpy(&l, buf, sizeof(l));
		iowrite32(le32_to_cpu(l), addr);
		break;
	case 8:
		memcpy(&l, buf, sizeof(l));
		iowrite32(le32_to_cpu(l), addr);
		memcpy(&l, buf + sizeof(l), sizeof(l));
		iowrite32(le32_to_cpu(l), addr + sizeof(l));
		break;
	default:
		dev_err_ratelimited(&vdev->dev, "config write of %u bytes\n", len);
	}
}

static u32 vpd_generation(struct virtio_device *vdev)
{
	return vp_modern_generation(&to_vpd(vdev)->mdev);
}

static u8 vpd_get_status(struct virtio_device *vdev)
{
	return vp_modern_get_status(&to_vpd(vdev)->mdev);
}

static void vpd_set_status(struct virtio_device *vdev, u8 status)
{
	/* Writing 0 is a reset, which only vpd_reset() may do. */
	WARN_ON_ONCE(!status);
	vp_modern_set_status(&to_vpd(vdev)->mdev, status);
}

static void vpd_synchronize_cbs(struct virtio_device *vdev)
{
	struct vpd_device *vpd = to_vpd(vdev);
	unsigned int v;

	if (vpd->irq_mode == VPD_IRQ_INTX)
		synchronize_irq(vpd_pci(vpd)->irq);
	for (v = 0; v < vpd->nvectors; v++)
		synchronize_irq(pci_irq_vector(vpd_pci(vpd), v));
}

static void vpd_reset(struct virtio_device *vdev)
{
	struct vpd_device *vpd = to_vpd(vdev);

	vp_modern_set_status(&vpd->mdev, 0);
	/*
	 * The device may use the rings until it reads back 0; a device
	 * that is gone reads back all ones and never will.
	 */
	while (vp_modern_get_status(&vpd->mdev)) {
		if (!pci_device_is_present(vpd_pci(vpd)))
			break;
		usleep_range(1000, 2000);
	}
	/* No callback of the old state may run after this. */
	vpd_synchronize_cbs(vdev);
}

/*
 * ACCESS_PLATFORM is always offered to the virtio core: this transport
 * gives virtio_ring DMA addresses that are right for the device whatever
 * it negotiated, and that bit is what makes virtio_ring use the DMA API.
 */
static u64 vpd_get_features(struct virtio_device *vdev)
{
	return vp_modern_get_features(&to_vpd(vdev)->mdev) |
	       BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
}

static int vpd_finalize_features(struct virtio_device *vdev)
{
	struct vpd_device *vpd = to_vpd(vdev);
	bool access_platform;
	u64 features;
	int err;

	vring_transport_features(vdev);
	vdev->features &= ~(VPD_TRANSPORT_RANGE & ~VPD_TRANSPORT_FEATURES);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "device does not offer VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}

	/* Negotiated: offered by the device and not declined by the driver. */
	access_platform = __virtio_test_bit(vdev, VIRTIO_F_ACCESS_PLATFORM) &&
			  (vp_modern_get_features(&vpd->mdev) &
			   BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
	err = vpd_dma_negotiated(&vpd->dma, vpd_pci(vpd), access_platform);
	if (err)
		return err;
	if (__virtio_test_bit(vdev, VIRTIO_F_RING_PACKED) &&
	    !vpd_dma_ring_packed_safe(&vpd->dma, &vpd_pci(vpd)->dev)) {
		__virtio_clear_bit(vdev, VIRTIO_F_RING_PACKED);
		dev_info(&vdev->dev, "packed ring declined: in %s mode%s a mapping may not succeed at once, which virtio_ring's packed ring does not survive; split ring\n",
			 vpd_mode_name(vpd->dma.mode),
			 vpd->dma.audit ? " with the audit" : "");
	}

	/* The device is told exactly what it negotiated... */
	features = vdev->features & ~BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	if (access_platform)
		features |= BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	vp_modern_set_features(&vpd->mdev, features);
	/* ...and the ring keeps using the DMA API (see vpd_get_features()). */
	__virtio_set_bit(vdev, VIRTIO_F_ACCESS_PLATFORM);
	return 0;
}

static bool vpd_notify(struct virtqueue *vq)
{
	struct vpd_vq *info = vq->priv;

	iowrite16(vq->index, info->notify);
	return true;
}

static irqreturn_t vpd_config_irq(int irq, void *opaque)
{
	struct vpd_device *vpd = opaque;

	virtio_config_changed(&vpd->vdev);
	return IRQ_HANDLED;
}

static irqreturn_t vpd_vqs_irq(int irq, void *opaque)
{
	struct vpd_device *vpd = opaque;
	irqreturn_t ret = IRQ_NONE;
	unsigned int i;

	for (i = 0; i < vpd->nvqs; i++)
		if (vpd->vqs[i].vq &&
		    vring_interrupt(irq, vpd->vqs[i].vq) == IRQ_HANDLED)
			ret = IRQ_HANDLED;
	return ret;
}

static irqreturn_t vpd_intx_irq(int irq, void *opaque)
{
	struct vpd_device *vpd = opaque;
	/* Reading the ISR acknowledges the interrupt: once only. */
	u8 isr = ioread8(vpd->mdev.isr);

	if (!isr)
		return IRQ_NONE;
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		vpd_config_irq(irq, vpd);
	vpd_vqs_irq(irq, vpd);
	return IRQ_HANDLED;
}

static int vpd_request_vector(struct vpd_device *vpd, unsigned int v,
			      irq_handler_t handler, void *dev_id,
			      const char *what)
{
	struct vpd_vector *vec = &vpd->vectors[v];
	int err;

	snprintf(vec->name, sizeof(vec->name), "%s-%s",
		 dev_name(&vpd->vdev.dev), what);
	err = request_irq(pci_irq_vector(vpd_pci(vpd), v), handler, 0,
			  vec->name, dev_id);
	if (!err)
		vec->dev_id = dev_id;
	return err;
}

static void vpd_free_irqs(struct vpd_device *vpd)
{
	struct pci_dev *pdev = vpd_pci(vpd);
	unsigned int v;

	for (v = 0; v < vpd->nvectors; v++) {
		if (!vpd->vectors[v].dev_id)
			continue;
		irq_update_affinity_hint(pci_irq_vector(pdev, v), NULL);
		free_irq(pci_irq_vector(pdev, v), vpd->vectors[v].dev_id);
	}
	if (vpd->nvectors) {
		vp_modern_config_vector(&vpd->mdev, VIRTIO_MSI_NO_VECTOR);
		pci_free_irq_vectors(pdev);
	}
	if (vpd->irq_mode == VPD_IRQ_INTX && vpd->intx_requested)
		free_irq(pdev->irq, vpd);
	kfree(vpd->vectors);
	vpd->vectors = NULL;
	vpd->nvectors = 0;
	vpd->intx_requested = false;
	vpd->irq_mode = VPD_IRQ_NONE;
}

/*
 * vring_del_virtqueue() frees a ring without unmapping the buffers still
 * in it, and some drivers leave buffers there (virtio_scsi its event
 * buffers): under an IOMMU or swiotlb those mappings would leak. The
 * device is reset by now, so detaching them is safe; the buffers
 * themselves stay the driver's.
 */
static void vpd_reclaim_buffers(struct vpd_device *vpd, struct virtqueue *vq)
{
	unsigned int n = 0;

	while (virtqueue_detach_unused_buf(vq))
		n++;
	if (n)
		dev_dbg(&vpd->vdev.dev, "unmapped %u buffers left in %s\n",
			n, vq->name);
}

static void vpd_del_vqs(struct virtio_device *vdev)
{
	struct vpd_device *vpd = to_vpd(vdev);
	struct vpd_vq *info;
	unsigned int i;

	vpd_free_irqs(vpd);
	for (i = 0; i < vpd->nvqs; i++) {
		info = &vpd->vqs[i];
		if (info->vq) {
			if (info->vector != VIRTIO_MSI_NO_VECTOR)
				vp_modern_queue_vector(&vpd->mdev, i,
						       VIRTIO_MSI_NO_VECTOR);
			if (!vpd->mdev.notify_base && info->notify)
				pci_iounmap(vpd_pci(vpd), info->notify);
			vpd_reclaim_buffers(vpd, info->vq);
			vring_del_virtqueue(info->vq);
		}
		free_cpumask_var(info->affinity);
	}
	kfree(vpd->vqs);
	vpd->vqs = NULL;
	vpd->nvqs = 0;
}

/* A split ring's indices and event fields, as they are in memory. */
static void vpd_split_show(struct seq_file *m, struct virtio_device *vdev,
			   const struct vring *vr)
{
	seq_printf(m, " avail=%u used=%u avail_flags=%#x used_flags=%#x",
		   virtio16_to_cpu(vdev, READ_ONCE(vr->avail->idx)),
		   virtio16_to_cpu(vdev, READ_ONCE(vr->used->idx)),
		   virtio16_to_cpu(vdev, READ_ONCE(vr->avail->flags)),
		   virtio16_to_cpu(vdev, READ_ONCE(vr->used->flags)));
	if (virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX))
		seq_printf(m, " used_event=%u avail_event=%u",
			   virtio16_to_cpu(vdev, READ_ONCE(vring_used_event(vr))),
			   virtio16_to_cpu(vdev, READ_ONCE(vring_avail_event(vr))));
}

/**
 * vpd_queues_show() - debugfs "queues": each virtqueue's state
 * @m: the file
 * @vpd: the device
 *
 * For I/O that stands still: whether the device has buffers it has not
 * used (avail ahead of used) and asked to be notified of them
 * (avail_event), and whether the driver, with its callbacks enabled,
 * asked an interrupt for what the device used (used_event; virtio_ring
 * writes 0 there while callbacks are off, and a queue without a callback
 * never writes it) tells a lost notification from a lost interrupt.
 * virtio_ring's own position in the used ring is private. Packed rings
 * show the common part alone: virtio_ring gives no way to their memory.
 * Nothing of ours is read: a queue is on the list before virtio_ring
 * returns it to us.
 *
 * Return: 0.
 */
int vpd_queues_show(struct seq_file *m, struct vpd_device *vpd)
{
	struct virtio_device *vdev = &vpd->vdev;
	struct virtqueue *vq;

	/*
	 * virtio_ring links a queue once its ring is set up and unlinks it
	 * under this lock before freeing it. Nothing swaps a linked queue's
	 * ring: we offer no virtqueue reset, so virtqueue_resize() cannot.
	 */
	spin_lock(&vdev->vqs_list_lock);
	virtio_device_for_each_vq(vdev, vq) {
		seq_printf(m, "%u %s size=%u free=%u broken=%d", vq->index,
			   vq->name, virtqueue_get_vring_size(vq),
			   READ_ONCE(vq->num_free), virtqueue_is_broken(vq));
		if (virtio_has_feature(vdev, VIRTIO_F_RING_PACKED))
			seq_puts(m, " packed");
		else
			vpd_split_show(m, vdev, virtqueue_get_vring(vq));
		seq_putc(m, '\n');
	}
	spin_unlock(&vdev->vqs_list_lock);
	return 0;
}

static struct virtqueue *vpd_setup_vq(struct vpd_device *vpd,
				      unsigned int index,
				      const struct vpd_vq_info *vqi, u16 vector)
{
	struct virtio_pci_modern_device *mdev = &vpd->mdev;
	struct vpd_vq *info = &vpd->vqs[index];
	struct virtqueue *vq;
	u16 num;

	if (index >= vp_modern_get_num_queues(mdev))
		return ERR_PTR(-ENOENT);
	num = vp_modern_get_queue_size(mdev, index);
	/* A queue the device did not size, or one already live, is not ours. */
	if (!num || vp_modern_get_queue_enable(mdev, index))
		return ERR_PTR(-ENOENT);

	vq = vring_create_virtqueue(index, num, SMP_CACHE_BYTES, &vpd->vdev,
				    true, true, vqi->ctx, vpd_notify,
				    vqi->callback, vqi->name);
	if (!vq)
		return ERR_PTR(-ENOMEM);
	vq->num_max = num;
	vq->priv = info;
	info->vq = vq;
	info->vector = VIRTIO_MSI_NO_VECTOR;

	vp_modern_set_queue_size(mdev, index, virtqueue_get_vring_size(vq));
	vp_modern_queue_address(mdev, index, virtqueue_get_desc_addr(vq),
				virtqueue_get_avail_addr(vq),
				virtqueue_get_used_addr(vq));
	info->notify = vp_modern_map_vq_notify(mdev, index, NULL);
	if (!info->notify)
		return ERR_PTR(-ENOMEM);
	if (vpd->nvectors &&
	    vp_modern_queue_vector(mdev, index, vector) != vector)
		return ERR_PTR(-EBUSY);
	info->vector = vector;
	return vq;
}

/* The MSI-X vector a virtqueue gets; vector 0 is the config vector. */
static u16 vpd_vq_vector(struct vpd_device *vpd, const struct vpd_vq_info *vqi,
			 unsigned int *next)
{
	if (!vqi->callback || vpd->irq_mode == VPD_IRQ_INTX)
		return VIRTIO_MSI_NO_VECTOR;
	if (vpd->irq_mode == VPD_IRQ_MSIX_SHARED)
		return 1;
	return (*next)++;
}

static int vpd_setup_irqs(struct vpd_device *vpd, unsigned int nvectors,
			  struct irq_affinity *desc)
{
	struct pci_dev *pdev = vpd_pci(vpd);
	struct irq_affinity affd;
	unsigned int flags = PCI_IRQ_MSIX;
	int err;

	if (vpd->irq_mode == VPD_IRQ_INTX) {
		err = request_irq(pdev->irq, vpd_intx_irq, IRQF_SHARED,
				  dev_name(&vpd->vdev.dev), vpd);
		vpd->intx_requested = !err;
		return err;
	}

	/* The driver's spreading, with the config vector left out of it. */
	if (desc && vpd->irq_mode == VPD_IRQ_MSIX_PER_VQ) {
		affd = *desc;
		affd.pre_vectors++;
		flags |= PCI_IRQ_AFFINITY;
	}
	vpd->vectors = kcalloc(nvectors, sizeof(*vpd->vectors), GFP_KERNEL);
	if (!vpd->vectors)
		return -ENOMEM;
	err = pci_alloc_irq_vectors_affinity(pdev, nvectors, nvectors, flags,
					     flags & PCI_IRQ_AFFINITY ? &affd : NULL);
	if (err < 0)
		return err;
	vpd->nvectors = nvectors;

	err = vpd_request_vector(vpd, 0, vpd_config_irq, vpd, "config");
	if (err)
		return err;
	if (vp_modern_config_vector(&vpd->mdev, 0) != 0)
		return -EBUSY;
	return 0;
}

static unsigned int vpd_count_vectors(struct vpd_device *vpd,
				      unsigned int nvqs,
				      const struct vpd_vq_info info[])
{
	unsigned int i, callbacks = 0;

	for (i = 0; i < nvqs; i++)
		if (info[i].name && info[i].callback)
			callbacks++;
	if (vpd->irq_mode == VPD_IRQ_MSIX_SHARED)
		callbacks = min(callbacks, 1U);
	return 1 + callbacks;
}

static int vpd_find_vqs_mode(struct vpd_device *vpd, unsigned int nvqs,
			     struct virtqueue *vqs[],
			     struct vpd_vq_info info[],
			     struct irq_affinity *desc, int irq_mode)
{
	unsigned int i, queue = 0, next = 1;
	u16 vector;
	int err;

	vpd->vqs = kcalloc(nvqs, sizeof(*vpd->vqs), GFP_KERNEL);
	if (!vpd->vqs)
		return -ENOMEM;
	vpd->nvqs = nvqs;
	vpd->irq_mode = irq_mode;

	err = vpd_setup_irqs(vpd, vpd_count_vectors(vpd, nvqs, info), desc);
	if (err)
		goto err;

	for (i = 0; i < nvqs; i++) {
		if (!info[i].name) {
			vqs[i] = NULL;
			continue;
		}
		vector = vpd_vq_vector(vpd, &info[i], &next);
		vqs[i] = vpd_setup_vq(vpd, queue, &info[i], vector);
		if (IS_ERR(vqs[i])) {
			err = PTR_ERR(vqs[i]);
			goto err;
		}
		if (irq_mode == VPD_IRQ_MSIX_PER_VQ &&
		    vector != VIRTIO_MSI_NO_VECTOR) {
			err = vpd_request_vector(vpd, vector, vring_interrupt,
						 vqs[i], info[i].name);
			if (err)
				goto err;
		}
		queue++;
	}
	if (irq_mode == VPD_IRQ_MSIX_SHARED && vpd->nvectors > 1) {
		err = vpd_request_vector(vpd, 1, vpd_vqs_irq, vpd, "virtqueues");
		if (err)
			goto err;
	}

	for (i = 0; i < queue; i++)
		vp_modern_set_queue_enable(&vpd->mdev, i, true);
	return 0;

err:
	vpd_del_vqs(&vpd->vdev);
	return err;
}

/**
 * vpd_find_vqs_info() - create a device's virtqueues and their interrupts
 * @vdev: the virtio device
 * @nvqs: how many entries @vqs and @info have
 * @vqs: where the virtqueues go (NULL for an @info without a name)
 * @info: name, callback and context flag of each virtqueue
 * @desc: how the driver wants its interrupts spread, or NULL
 *
 * Interrupts are tried best first: an MSI-X vector per virtqueue, one
 * MSI-X vector shared by all virtqueues, then INTx.
 *
 * Return: 0 or a negative errno, with nothing left allocated.
 */
int vpd_find_vqs_info(struct virtio_device *vdev, unsigned int nvqs,
		      struct virtqueue *vqs[], struct vpd_vq_info info[],
		      struct irq_affinity *desc)
{
	struct vpd_device *vpd = to_vpd(vdev);
	int err;

	err = vpd_find_vqs_mode(vpd, nvqs, vqs, info, desc, VPD_IRQ_MSIX_PER_VQ);
	if (!err)
		return 0;
	err = vpd_find_vqs_mode(vpd, nvqs, vqs, info, desc, VPD_IRQ_MSIX_SHARED);
	if (!err)
		return 0;
	return vpd_find_vqs_mode(vpd, nvqs, vqs, info, desc, VPD_IRQ_INTX);
}

static const char *vpd_bus_name(struct virtio_device *vdev)
{
	return pci_name(vpd_pci(to_vpd(vdev)));
}

static int vpd_set_vq_affinity(struct virtqueue *vq,
			       const struct cpumask *mask)
{
	struct vpd_device *vpd = to_vpd(vq->vdev);
	struct vpd_vq *info = vq->priv;
	unsigned int irq;

	if (vpd->irq_mode != VPD_IRQ_MSIX_PER_VQ ||
	    info->vector == VIRTIO_MSI_NO_VECTOR)
		return 0;
	irq = pci_irq_vector(vpd_pci(vpd), info->vector);
	if (!mask)
		return irq_update_affinity_hint(irq, NULL);
	/* The hint must outlive the caller's mask. */
	if (!cpumask_available(info->affinity) &&
	    !zalloc_cpumask_var(&info->affinity, GFP_KERNEL))
		return -ENOMEM;
	cpumask_copy(info->affinity, mask);
	return irq_set_affinity_and_hint(irq, info->affinity);
}

static const struct cpumask *vpd_get_vq_affinity(struct virtio_device *vdev,
						 int index)
{
	struct vpd_device *vpd = to_vpd(vdev);

	/* A slot the driver left without a queue has no vector either. */
	if (vpd->irq_mode != VPD_IRQ_MSIX_PER_VQ || index < 0 ||
	    index >= vpd->nvqs || !vpd->vqs[index].vq ||
	    vpd->vqs[index].vector == VIRTIO_MSI_NO_VECTOR)
		return NULL;
	return pci_irq_get_affinity(vpd_pci(vpd), vpd->vqs[index].vector);
}

static u8 vpd_cap_byte(struct pci_dev *pdev, int pos, size_t field)
{
	u8 val;

	pci_read_config_byte(pdev, pos + field, &val);
	return val;
}

static u32 vpd_cap_dword(struct pci_dev *pdev, int pos, size_t field)
{
	u32 val;

	pci_read_config_dword(pdev, pos + field, &val);
	return val;
}

/* A 64-bit field of a virtio_pci_cap64, split in two dwords. */
static u64 vpd_cap_qword(struct pci_dev *pdev, int pos, size_t lo, size_t hi)
{
	return (u64)vpd_cap_dword(pdev, pos, hi) << 32 |
	       vpd_cap_dword(pdev, pos, lo);
}

/* Shared memory regions are vendor capabilities of type SHARED_MEMORY_CFG. */
static bool vpd_get_shm_region(struct virtio_device *vdev,
			       struct virtio_shm_region *region, u8 id)
{
	struct pci_dev *pdev = vpd_pci(to_vpd(vdev));
	u64 offset, len;
	int pos;
	u8 bar;

	for (pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR); pos > 0;
	     pos = pci_find_next_capability(pdev, pos, PCI_CAP_ID_VNDR)) {
		if (vpd_cap_byte(pdev, pos, offsetof(struct virtio_pci_cap, cfg_type)) !=
		    VIRTIO_PCI_CAP_SHARED_MEMORY_CFG ||
		    vpd_cap_byte(pdev, pos, offsetof(struct virtio_pci_cap, id)) != id)
			continue;

		bar = vpd_cap_byte(pdev, pos, offsetof(struct virtio_pci_cap, bar));
		offset = vpd_cap_qword(pdev, pos,
				       offsetof(struct virtio_pci_cap, offset),
				       offsetof(struct virtio_pci_cap64, offset_hi));
		len = vpd_cap_qword(pdev, pos,
				    offsetof(struct virtio_pci_cap, length),
				    offsetof(struct virtio_pci_cap64, length_hi));

		if (bar >= PCI_STD_NUM_BARS ||
		    !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    offset + len < offset ||
		    offset + len > pci_resource_len(pdev, bar)) {
			pci_err(pdev, "shared memory region %u outside BAR %u\n",
				id, bar);
			return false;
		}
		region->addr = pci_resource_start(pdev, bar) + offset;
		region->len = len;
		return true;
	}
	return false;
}

static const struct virtio_config_ops vpd_config_ops = {
	.get = vpd_get,
	.set = vpd_set,
	.generation = vpd_generation,
	.get_status = vpd_get_status,
	.set_status = vpd_set_status,
	.reset = vpd_reset,
	.find_vqs = vpd_find_vqs,
	.del_vqs = vpd_del_vqs,
	.synchronize_cbs = vpd_synchronize_cbs,
	.get_features = vpd_get_features,
	.finalize_features = vpd_finalize_features,
	.bus_name = vpd_bus_name,
	.set_vq_affinity = vpd_set_vq_affinity,
	.get_vq_affinity = vpd_get_vq_affinity,
	.get_shm_region = vpd_get_shm_region,
};

static void vpd_free(struct vpd_device *vpd)
{
	free_percpu(vpd->dma.stats.cpu);
	kfree(vpd);
}

static void vpd_release(struct device *dev)
{
	vpd_free(to_vpd(dev_to_virtio(dev)));
}

/* vp_modern_probe() sets the DMA masks; unbind puts back the old ones. */
static void vpd_save_masks(struct vpd_device *vpd)
{
	struct device *dev = &vpd_pci(vpd)->dev;

	vpd->dma.saved.dma_mask = dma_get_mask(dev);
	vpd->dma.saved.coherent_dma_mask = dev->coherent_dma_mask;
}

static void vpd_restore_masks(struct vpd_device *vpd)
{
	struct device *dev = &vpd_pci(vpd)->dev;

	if (dev->dma_mask)
		*dev->dma_mask = vpd->dma.saved.dma_mask;
	dev->coherent_dma_mask = vpd->dma.saved.coherent_dma_mask;
}

/* driver_override and new_id can bind any device: take only virtio ones. */
static bool vpd_is_virtio(struct pci_dev *pdev)
{
	return pdev->vendor == PCI_VENDOR_ID_REDHAT_QUMRANET &&
	       pdev->device >= 0x1000 && pdev->device <= 0x107f;
}

/*
 * A virtio-iommu's driver cannot be unbound safely: viommu_remove()
 * removes the IOMMU's sysfs device, which clears iommu->dev, before
 * iommu_device_unregister() unlinks the devices behind it from that
 * sysfs device, a NULL dereference (6.12 and 7.3, design.rst). Removing
 * the module would unbind it: while it drives one, the module holds
 * itself, so that rmmod says "in use" instead. Taken before the device
 * is registered, so that a probe racing with rmmod fails rather than pin
 * a module on its way out.
 */
static int vpd_hold_for_iommu(struct vpd_device *vpd)
{
	if (vpd->dma.virtio_id != VIRTIO_ID_IOMMU)
		return 0;
	if (!try_module_get(THIS_MODULE))
		return -EBUSY;
	vpd->holds_module = true;
	pci_info(vpd_pci(vpd), "drives a virtio-iommu: the module cannot be unloaded while it does\n");
	return 0;
}

/*
 * No descriptor chain is longer than its queue's size, an indirect one
 * included (the virtio spec's split ring; a device's seg_max stays below
 * it): how many segments the pool's overflow must hold at once for the
 * longest request. Read before a driver sized a queue down.
 */
static u16 vpd_largest_queue(struct virtio_pci_modern_device *mdev)
{
	u16 i, n = vp_modern_get_num_queues(mdev), size = 0;

	for (i = 0; i < n; i++)
		size = max(size, vp_modern_get_queue_size(mdev, i));
	return size;
}

static int vpd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vpd_device *vpd;
	int err;

	if (!vpd_is_virtio(pdev)) {
		pci_err(pdev, "not a virtio device (%04x:%04x)\n",
			pdev->vendor, pdev->device);
		return -ENODEV;
	}
	vpd = kzalloc(sizeof(*vpd), GFP_KERNEL);
	if (!vpd)
		return -ENOMEM;
	vpd->dma.stats.cpu = alloc_percpu(struct vpd_cpu_stats);
	if (!vpd->dma.stats.cpu) {
		err = -ENOMEM;
		goto err_free;
	}
	pci_set_drvdata(pdev, vpd);
	vpd->mdev.pci_dev = pdev;
	vpd->vdev.dev.parent = &pdev->dev;
	vpd->vdev.dev.release = vpd_release;
	vpd->vdev.config = &vpd_config_ops;

	err = pci_enable_device(pdev);
	if (err)
		goto err_free;
	vpd_save_masks(vpd);
	err = vp_modern_probe(&vpd->mdev);
	if (err == -ENODEV)
		pci_err(pdev, "no virtio 1.0 interface: legacy-only devices are left to virtio_pci\n");
	if (err)
		goto err_disable;

	vpd->dma.access_platform = vp_modern_get_features(&vpd->mdev) &
				   BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	vpd->dma.virtio_id = vpd->mdev.id.device;
	vpd->dma.largest_queue = vpd_largest_queue(&vpd->mdev);
	vpd_policy_get(pdev, vpd->dma.virtio_id, &vpd->dma.policy);
	err = vpd_select_dma_ops(&vpd->dma, pdev);
	if (err)
		goto err_modern;
	vpd_debugfs_add(vpd);
	pci_set_master(pdev);

	vpd->vdev.id = vpd->mdev.id;
	err = vpd_hold_for_iommu(vpd);
	if (err)
		goto err_hold;
	err = register_virtio_device(&vpd->vdev);
	if (err)
		goto err_register;
	/* Its virtqueue list is set up by the registration. */
	vpd_debugfs_add_queues(vpd);
	return 0;

err_register:
	if (vpd->holds_module)
		module_put(THIS_MODULE);
	vpd_debugfs_remove(vpd);
	vpd_restore_dma_ops(&vpd->dma, pdev);
	vp_modern_remove(&vpd->mdev);
	vpd_restore_masks(vpd);
	pci_disable_device(pdev);
	/* A registered device is freed by its release, not by us. */
	put_device(&vpd->vdev.dev);
	return err;
err_hold:
	vpd_debugfs_remove(vpd);
	vpd_restore_dma_ops(&vpd->dma, pdev);
err_modern:
	vp_modern_remove(&vpd->mdev);
err_disable:
	vpd_restore_masks(vpd);
	pci_disable_device(pdev);
err_free:
	vpd_free(vpd);
	return err;
}

static void vpd_remove(struct pci_dev *pdev)
{
	struct vpd_device *vpd = pci_get_drvdata(pdev);
	struct device *dev = get_device(&vpd->vdev.dev);
	bool held = vpd->holds_module;
	u64 left;

	/* A device that is gone completes nothing: fail requests now. */
	if (!pci_device_is_present(pdev))
		virtio_break_device(&vpd->vdev);
	unregister_virtio_device(&vpd->vdev);

	left = vpd_stats_outstanding(&vpd->dma.stats);
	if (vpd->dma.observed && left)
		pci_err(pdev, "%llu DMA mappings still outstanding at unbind\n",
			left);
	vpd_debugfs_remove(vpd);
	vpd_restore_dma_ops(&vpd->dma, pdev);
	vp_modern_remove(&vpd->mdev);
	vpd_restore_masks(vpd);
	pci_disable_device(pdev);
	put_device(dev);
	/* rmmod waits for the device lock we hold: no unload under us. */
	if (held)
		module_put(THIS_MODULE);
}

#ifdef CONFIG_PM_SLEEP
static int vpd_freeze(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	struct vpd_device *vpd = pci_get_drvdata(pdev);
	int err;

	err = virtio_device_freeze(&vpd->vdev);
	if (!err)
		pci_disable_device(pdev);
	return err;
}

static int vpd_restore(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	struct vpd_device *vpd = pci_get_drvdata(pdev);
	int err;

	err = pci_enable_device(pdev);
	if (err)
		return err;
	pci_set_master(pdev);
	return virtio_device_restore(&vpd->vdev);
}

static DEFINE_SIMPLE_DEV_PM_OPS(vpd_pm_ops, vpd_freeze, vpd_restore);
#define VPD_PM_OPS (&vpd_pm_ops)
#else
#define VPD_PM_OPS NULL
#endif

/*
 * A function reset (sysfs reset, or a driver of the PCI core) wipes the
 * device's state under its drivers: they are parked as for system sleep
 * before it and brought back after. Only a driver with freeze and
 * restore can be parked (virtio_device_freeze() succeeds for one without
 * them, leaving its rings live under the reset): a device whose driver
 * cannot be parked is marked broken before the reset, so that its
 * requests fail instead of meeting a device that forgot them. The
 * virtio device's lock is held from prepare to done: its driver must not
 * change under the reset.
 */
static bool vpd_can_park(struct virtio_device *vdev)
{
#ifdef CONFIG_PM_SLEEP
	struct virtio_driver *drv = drv_to_virtio(vdev->dev.driver);

	return drv->freeze && drv->restore;
#else
	return false;
#endif
}

static void vpd_reset_prepare(struct pci_dev *pdev)
{
	struct vpd_device *vpd = pci_get_drvdata(pdev);
	struct virtio_device *vdev = &vpd->vdev;
	int err = -EOPNOTSUPP;

	device_lock(&vdev->dev);
	vpd->reset_parked = false;
	/* No driver: no queue to lose; the device is reset as it is. */
	if (!vdev->dev.driver)
		return;
	if (!vpd_can_park(vdev)) {
		virtio_break_device(vdev);
		trace_vpd_reset(pdev, VPD_RESET_BROKEN, -EOPNOTSUPP);
		pci_err(pdev, "function reset: %s cannot be parked (no freeze and restore): device marked broken\n",
			vdev->dev.driver->name);
		return;
	}
#ifdef CONFIG_PM_SLEEP
	err = virtio_device_freeze(vdev);
#endif
	vpd->reset_parked = !err;
	if (!vpd->reset_parked) {
		virtio_break_device(vdev);
		trace_vpd_reset(pdev, VPD_RESET_BROKEN, err);
		pci_err(pdev, "function reset: the driver refused to be parked: device marked broken\n");
		return;
	}
	trace_vpd_reset(pdev, VPD_RESET_PARKED, 0);
}

static void vpd_reset_done(struct pci_dev *pdev)
{
	struct vpd_device *vpd = pci_get_drvdata(pdev);
	struct virtio_device *vdev = &vpd->vdev;
	int err = 0;

	if (vpd->reset_parked) {
		pci_set_master(pdev);
#ifdef CONFIG_PM_SLEEP
		err = virtio_device_restore(vdev);
#endif
		if (err) {
			virtio_break_device(vdev);
			trace_vpd_reset(pdev, VPD_RESET_BROKEN, err);
			pci_err(pdev, "function reset: restore failed (%d): device marked broken\n",
				err);
		} else {
			trace_vpd_reset(pdev, VPD_RESET_RESTORED, 0);
			pci_info(pdev, "function reset: device restored\n");
		}
	}
	device_unlock(&vdev->dev);
}

/*
 * AER and DPC recovery reset the link without reset_prepare: the rings
 * are gone under the drivers. The device is marked broken, so that its
 * requests fail, and the core disconnects it.
 */
static pci_ers_result_t vpd_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	struct vpd_device *vpd = pci_get_drvdata(pdev);

	virtio_break_device(&vpd->vdev);
	trace_vpd_reset(pdev, VPD_RESET_PCI_ERROR, (__force int)state);
	pci_err(pdev, "PCI error (channel state %d): device marked broken\n",
		state);
	return PCI_ERS_RESULT_DISCONNECT;
}

static const struct pci_error_handlers vpd_err_handlers = {
	.error_detected = vpd_error_detected,
	.reset_prepare = vpd_reset_prepare,
	.reset_done = vpd_reset_done,
};

/*
 * No ID table: devices are claimed through driver_override or new_id, so
 * that this driver and the in-tree virtio_pci can share a machine.
 */
static struct pci_driver vpd_driver = {
	.name = "virtio-pci-dma",
	.probe = vpd_probe,
	.remove = vpd_remove,
	.err_handler = &vpd_err_handlers,
	.driver.pm = VPD_PM_OPS,
	.dev_groups = vpd_dev_groups,
};

static int __init vpd_init(void)
{
	int err;

	err = vpd_audit_init();
	if (err)
		return err;
	vpd_debugfs_init();
	err = pci_register_driver(&vpd_driver);
	if (err) {
		vpd_debugfs_exit();
		vpd_audit_exit();
	}
	return err;
}
module_init(vpd_init);

static void __exit vpd_exit(void)
{
	pci_unregister_driver(&vpd_driver);
	vpd_debugfs_exit();
	vpd_audit_exit();
}
module_exit(vpd_exit);

MODULE_DESCRIPTION("Virtio PCI transport that always uses the DMA API");
MODULE_LICENSE("GPL");
