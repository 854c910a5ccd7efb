/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of virtio_pci_dma: what was decided for a device, what its
 * pool could not hold, what the audit found, what a reset did. Devices
 * are named by their PCI address, kept as a number, and names in fixed
 * arrays: the string field helpers changed between the kernels the
 * module builds for (__assign_str lost an argument in 6.10).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM virtio_pci_dma

#ifndef _VIRTIO_PCI_DMA_TRACE_ONCE
#define _VIRTIO_PCI_DMA_TRACE_ONCE

#include <linux/pci.h>

#include "virtio_pci_dma.h"

/* domain:bus:devfn of a PCI device, in one word. */
static inline u32 vpd_trace_bdf(const struct pci_dev *pdev)
{
	return (u32)pci_domain_nr(pdev->bus) << 16 | pdev->bus->number << 8 |
	       pdev->devfn;
}

/* What became of a request the pool's region could not hold. */
#define VPD_EXHAUSTED_OVERFLOW	0	/* an overflow buffer served it */
#define VPD_EXHAUSTED_FAILED	1	/* it failed: a driver retries a mapping */

/* What a function reset or a PCI error did to a device's drivers. */
#define VPD_RESET_PARKED	0
#define VPD_RESET_RESTORED	1
#define VPD_RESET_BROKEN	2
#define VPD_RESET_PCI_ERROR	3	/* err: the channel state */

#endif /* _VIRTIO_PCI_DMA_TRACE_ONCE */

#if !defined(_VIRTIO_PCI_DMA_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VIRTIO_PCI_DMA_TRACE_H

#include <linux/tracepoint.h>

/* Enum values, so that perf and trace-cmd can read the formats. */
TRACE_DEFINE_ENUM(VPD_MODE_DIRECT);
TRACE_DEFINE_ENUM(VPD_MODE_PLATFORM);
TRACE_DEFINE_ENUM(VPD_MODE_POOL);

TRACE_EVENT(vpd_mode,
	    TP_PROTO(struct pci_dev *pdev, const struct vpd_dma *dma),
	    TP_ARGS(pdev, dma),
	    TP_STRUCT__entry(__field(u32, bdf)
			     __field(u32, virtio_id)
			     __field(int, mode)
			     __field(bool, access_platform)
			     __field(bool, arch_wants)
			     __field(bool, audit)
			     __field(size_t, pool_size)),
	    TP_fast_assign(__entry->bdf = vpd_trace_bdf(pdev);
			   __entry->virtio_id = dma->virtio_id;
			   __entry->mode = dma->mode;
			   __entry->access_platform = dma->access_platform;
			   __entry->arch_wants = dma->arch_wants;
			   __entry->audit = !!dma->audit;
			   __entry->pool_size = dma->mode == VPD_MODE_POOL ?
						dma->policy.pool_size : 0;),
	    TP_printk("%04x:%02x:%02x.%u virtio id %u: %s ops, access_platform=%d arch_wants=%d audit=%d pool_size=%zu",
		      __entry->bdf >> 16, (__entry->bdf >> 8) & 0xff,
		      PCI_SLOT(__entry->bdf & 0xff), PCI_FUNC(__entry->bdf & 0xff),
		      __entry->virtio_id,
		      __print_symbolic(__entry->mode,
				       { VPD_MODE_DIRECT, "direct" },
				       { VPD_MODE_PLATFORM, "platform" },
				       { VPD_MODE_POOL, "pool" }),
		      __entry->access_platform, __entry->arch_wants,
		      __entry->audit, __entry->pool_size)
);

TRACE_EVENT(vpd_pool_exhausted,
	    TP_PROTO(struct pci_dev *pdev, size_t size, bool coherent, int then),
	    TP_ARGS(pdev, size, coherent, then),
	    TP_STRUCT__entry(__field(u32, bdf)
			     __field(size_t, size)
			     __field(bool, coherent)
			     __field(int, then)),
	    TP_fast_assign(__entry->bdf = vpd_trace_bdf(pdev);
			   __entry->size = size;
			   __entry->coherent = coherent;
			   __entry->then = then;),
	    TP_printk("%04x:%02x:%02x.%u %s of %zu bytes: %s",
		      __entry->bdf >> 16, (__entry->bdf >> 8) & 0xff,
		      PCI_SLOT(__entry->bdf & 0xff), PCI_FUNC(__entry->bdf & 0xff),
		      __entry->coherent ? "allocation" : "mapping", __entry->size,
		      __print_symbolic(__entry->then,
				       { VPD_EXHAUSTED_OVERFLOW, "overflow" },
				       { VPD_EXHAUSTED_FAILED, "failed" }))
);

TRACE_EVENT(vpd_audit,
	    TP_PROTO(struct pci_dev *pdev, enum vpd_audit_kind kind, u64 addr,
		     unsigned long caller),
	    TP_ARGS(pdev, kind, addr, caller),
	    TP_STRUCT__entry(__field(u32, bdf)
			     __array(char, kind, 20)
			     __field(u64, addr)
			     __field(unsigned long, caller)),
	    TP_fast_assign(__entry->bdf = vpd_trace_bdf(pdev);
			   strscpy(__entry->kind, vpd_audit_key(kind),
				   sizeof(__entry->kind));
			   __entry->addr = addr;
			   __entry->caller = caller;),
	    TP_printk("%04x:%02x:%02x.%u %s at 0x%llx, caller %pS",
		      __entry->bdf >> 16, (__entry->bdf >> 8) & 0xff,
		      PCI_SLOT(__entry->bdf & 0xff), PCI_FUNC(__entry->bdf & 0xff),
		      __entry->kind, __entry->addr, (void *)__entry->caller)
);

TRACE_EVENT(vpd_reset,
	    TP_PROTO(struct pci_dev *pdev, int event, int err),
	    TP_ARGS(pdev, event, err),
	    TP_STRUCT__entry(__field(u32, bdf)
			     __field(int, event)
			     __field(int, err)),
	    TP_fast_assign(__entry->bdf = vpd_trace_bdf(pdev);
			   __entry->event = event;
			   __entry->err = err;),
	    TP_printk("%04x:%02x:%02x.%u %s (%d)",
		      __entry->bdf >> 16, (__entry->bdf >> 8) & 0xff,
		      PCI_SLOT(__entry->bdf & 0xff), PCI_FUNC(__entry->bdf & 0xff),
		      __print_symbolic(__entry->event,
				       { VPD_RESET_PARKED, "parked" },
				       { VPD_RESET_RESTORED, "restored" },
				       { VPD_RESET_BROKEN, "marked broken" },
				       { VPD_RESET_PCI_ERROR, "PCI error: marked broken" }),
		      __entry->err)
);

#endif /* _VIRTIO_PCI_DMA_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE virtio_pci_dma_trace
#include <trace/define_trace.h>
