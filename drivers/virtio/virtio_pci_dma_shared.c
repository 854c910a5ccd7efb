// SPDX-License-Identifier: GPL-2.0
/*
 * Memory shared with the host for the pool's overflow, where the guest's
 * memory is encrypted and the region is guest-physical (no
 * ACCESS_PLATFORM): the host reads and writes only what the guest made
 * shared, and set_memory_decrypted() sleeps, while a mapping is made in
 * atomic context. So buffers are shared ahead, in process context, and
 * kept: a mapping takes one that is large enough; when none is, it asks
 * the worker for one and fails, and the driver retries (virtio_blk
 * requeues within milliseconds) until the worker has made it. Each
 * refusal asks for one more buffer, so a request of many segments gets
 * as many: exhaustion delays, it never hangs. Buffers go back to the
 * list at unmap and to the page allocator, encrypted again, at unbind.
 * What is shared is capped (@cap): past it, mappings wait for buffers
 * to come back. Sharing that fails leaves the list as it is, for good.
 *
 * Every direction starts from the buffer's contents, as in the region
 * and as swiotlb does: what a FROM_DEVICE buffer held is then visible to
 * the host, the price of never handing back stale data.
 */

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "virtio_pci_dma.h"

/* Buffers the worker makes at one go, at most. */
#define VPD_SHARED_BATCH 64

/**
 * struct vpd_shared_buf - a buffer shared with the host
 * @node: its place in the free list
 * @vaddr: the buffer, whole pages
 * @size: its size
 */
struct vpd_shared_buf {
	struct list_head node;
	void *vaddr;
	size_t size;
};

/**
 * struct vpd_shared - a device's buffers shared with the host
 * @dev: the device, for messages and its DMA mask
 * @lock: protects @free, @want and @wanted
 * @free: buffers no mapping holds
 * @want: the largest size a refused mapping asked for
 * @wanted: how many mappings were refused since the worker last ran
 * @dying: the device is going: no more wishes
 * @broken: sharing failed once: no more attempts
 * @wq: runs @work; it serves block I/O, so it may be needed for reclaim
 * @work: makes what was asked for
 * @bytes: all the memory shared so far
 * @cap: the most that may be shared
 */
struct vpd_shared {
	struct device *dev;
	spinlock_t lock; /* the free list, the wishes and the flags */
	struct list_head free;
	size_t want;
	unsigned int wanted;
	bool dying;
	bool broken;
	struct workqueue_struct *wq;
	struct work_struct work;
	atomic64_t bytes;
	u64 cap;
};

/* Shares one more buffer of @size; false when no more can be. */
static bool vpd_shared_make(struct vpd_shared *sh, size_t size)
{
	/* Not zeroed: the host sees no plaintext of it, and it is filled. */
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct vpd_shared_buf *b;
	unsigned long flags;

	if (atomic64_read(&sh->bytes) + size > sh->cap)
		return false;
	if (min_not_zero(*sh->dev->dma_mask, sh->dev->bus_dma_limit) <=
	    DMA_BIT_MASK(32))
		gfp |= GFP_DMA32;
	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return false;
	b->size = size;
	b->vaddr = alloc_pages_exact(size, gfp);
	if (!b->vaddr) {
		kfree(b);
		return false;
	}
	if (set_memory_decrypted((unsigned long)b->vaddr, size >> PAGE_SHIFT)) {
		/* Pages in an unknown state must not go back to the allocator. */
		dev_err(sh->dev, "pool: could not share an overflow buffer with the host (leaked); no more will be\n");
		kfree(b);
		spin_lock_irqsave(&sh->lock, flags);
		sh->broken = true;
		spin_unlock_irqrestore(&sh->lock, flags);
		return false;
	}
	atomic64_add(size, &sh->bytes);
	spin_lock_irqsave(&sh->lock, flags);
	list_add(&b->node, &sh->free);
	spin_unlock_irqrestore(&sh->lock, flags);
	return true;
}

static void vpd_shared_work(struct work_struct *work)
{
	struct vpd_shared *sh = container_of(work, struct vpd_shared, work);
	unsigned int noio = memalloc_noio_save();
	unsigned long flags;
	unsigned int n;
	size_t size;

	spin_lock_irqsave(&sh->lock, flags);
	size = sh->want;
	n = min_t(unsigned int, sh->wanted, VPD_SHARED_BATCH);
	sh->want = 0;
	sh->wanted = 0;
	spin_unlock_irqrestore(&sh->lock, flags);
	while (n-- && vpd_shared_make(sh, size))
		;
	memalloc_noio_restore(noio);
}

/**
 * vpd_shared_create() - start a device's list of shared buffers, empty
 * @dev: the device
 * @cap: the most it may share, in bytes
 *
 * Return: the list, or NULL for want of memory.
 */
struct vpd_shared *vpd_shared_create(struct device *dev, u64 cap)
{
	struct vpd_shared *sh = kzalloc(sizeof(*sh), GFP_KERNEL);

	if (!sh)
		return NULL;
	sh->wq = alloc_workqueue("vpd_shared", WQ_MEM_RECLAIM | WQ_UNBOUND, 1);
	if (!sh->wq) {
		kfree(sh);
		return NULL;
	}
	sh->dev = dev;
	sh->cap = cap;
	spin_lock_init(&sh->lock);
	INIT_LIST_HEAD(&sh->free);
	INIT_WORK(&sh->work, vpd_shared_work);
	return sh;
}

/**
 * vpd_shared_quiesce() - no more wishes, and the worker done
 * @sh: the list
 *
 * Called at unbind before anything else, so that the worker never runs
 * for a device that is gone, even where the pool must then be leaked.
 */
void vpd_shared_quiesce(struct vpd_shared *sh)
{
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	sh->dying = true;
	spin_unlock_irqrestore(&sh->lock, flags);
	cancel_work_sync(&sh->work);
	destroy_workqueue(sh->wq);
	sh->wq = NULL;
}

/**
 * vpd_shared_destroy() - take every buffer back from the host and free it
 * @sh: the list, quiesced; no mapping holds a buffer of it any more
 */
void vpd_shared_destroy(struct vpd_shared *sh)
{
	struct vpd_shared_buf *b, *next;

	list_for_each_entry_safe(b, next, &sh->free, node) {
		list_del(&b->node);
		if (set_memory_encrypted((unsigned long)b->vaddr,
					 b->size >> PAGE_SHIFT))
			dev_err(sh->dev, "pool: overflow buffer could not be taken back from the host, leaked\n");
		else
			free_pages_exact(b->vaddr, b->size);
		kfree(b);
	}
	kfree(sh);
}

/**
 * vpd_shared_take() - a shared buffer of at least @size bytes
 * @sh: the list
 * @size: whole pages
 *
 * In atomic context. When no buffer is large enough, asks the worker for
 * one more and returns NULL: the caller fails the mapping, the driver
 * retries.
 *
 * Return: the buffer, for vpd_shared_give() and vpd_shared_vaddr(), or
 * NULL.
 */
struct vpd_shared_buf *vpd_shared_take(struct vpd_shared *sh, size_t size)
{
	struct vpd_shared_buf *b, *found = NULL;
	unsigned long flags;

	bool wish = false;

	spin_lock_irqsave(&sh->lock, flags);
	list_for_each_entry(b, &sh->free, node) {
		if (b->size >= size && (!found || b->size < found->size))
			found = b;
		if (found && found->size == size)
			break;
	}
	if (found) {
		list_del(&found->node);
	} else if (!sh->dying && !sh->broken) {
		sh->want = max(sh->want, size);
		sh->wanted++;
		wish = true;
	}
	spin_unlock_irqrestore(&sh->lock, flags);
	if (wish)
		queue_work(sh->wq, &sh->work);
	return found;
}

/* Gives a buffer back to the list; its contents are the next user's. */
void vpd_shared_give(struct vpd_shared *sh, struct vpd_shared_buf *b)
{
	unsigned long flags;

	spin_lock_irqsave(&sh->lock, flags);
	list_add(&b->node, &sh->free);
	spin_unlock_irqrestore(&sh->lock, flags);
}

void *vpd_shared_vaddr(struct vpd_shared_buf *b)
{
	return b->vaddr;
}

/* All the memory shared with the host so far, in bytes. */
u64 vpd_shared_bytes(struct vpd_shared *sh)
{
	return atomic64_read(&sh->bytes);
}
