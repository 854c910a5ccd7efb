// SPDX-License-Identifier: GPL-2.0
/*
 * What a device got and what it did: read-only sysfs attributes under the
 * PCI device (virtio_dma/mode, access_platform, arch_wants, audit) and debugfs
 * counters under virtio_dma/<pci-address>/.
 */

#include <linux/debugfs.h>
#include <linux/sysfs.h>

#include "virtio_pci_dma.h"

#define CREATE_TRACE_POINTS
#include "virtio_pci_dma_trace.h"

static struct dentry *vpd_debugfs_root;

void vpd_stats_map(struct vpd_stats *s, size_t size)
{
	this_cpu_inc(s->cpu->maps);
	this_cpu_add(s->cpu->bytes_mapped, size);
}

void vpd_stats_unmap(struct vpd_stats *s)
{
	this_cpu_inc(s->cpu->unmaps);
}

/* A counter summed over the CPUs; exact once the device is at rest. */
static u64 vpd_stats_sum(struct vpd_stats *s, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(s->cpu, cpu) + offset);
	return sum;
}

#define vpd_stat(s, field) \
	vpd_stats_sum(s, offsetof(struct vpd_cpu_stats, field))

/*
 * Exact at rest. Under load the sums are not one snapshot: unmaps are
 * read first, so that an unmap counted has its map counted too, and a
 * difference below zero (another CPU's counts, unordered) reads 0, not
 * 2^64 less a few.
 */
u64 vpd_stats_outstanding(struct vpd_stats *s)
{
	u64 unmaps = vpd_stat(s, unmaps);
	u64 maps = vpd_stat(s, maps);

	return maps > unmaps ? maps - unmaps : 0;
}

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", vpd_mode_name(vpd_dma_of(dev)->mode));
}
static DEVICE_ATTR_RO(mode);

static ssize_t access_platform_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", vpd_dma_of(dev)->access_platform);
}
static DEVICE_ATTR_RO(access_platform);

static ssize_t arch_wants_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", vpd_dma_of(dev)->arch_wants);
}
static DEVICE_ATTR_RO(arch_wants);

static ssize_t audit_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	/* What runs: the audit may not start where it was asked for. */
	return sysfs_emit(buf, "%d\n", !!vpd_dma_of(dev)->audit);
}
static DEVICE_ATTR_RO(audit);

static struct attribute *vpd_attrs[] = {
	&dev_attr_mode.attr,
	&dev_attr_access_platform.attr,
	&dev_attr_arch_wants.attr,
	&dev_attr_audit.attr,
	NULL,
};

static const struct attribute_group vpd_attr_group = {
	.name = "virtio_dma",
	.attrs = vpd_attrs,
};

/* The driver core adds them once probe succeeded, removes them first. */
const struct attribute_group *vpd_dev_groups[] = {
	&vpd_attr_group,
	NULL,
};

static int vpd_counter_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vpd_counter_fops, vpd_counter_get, NULL, "%lld\n");

/* One debugfs file per per-CPU counter; @data is the struct vpd_stats. */
#define VPD_STAT_FOPS(field)						\
static int vpd_##field##_get(void *data, u64 *val)			\
{									\
	*val = vpd_stat(data, field);					\
	return 0;							\
}									\
DEFINE_DEBUGFS_ATTRIBUTE(vpd_##field##_fops, vpd_##field##_get, NULL, "%llu\n")

VPD_STAT_FOPS(maps);
VPD_STAT_FOPS(unmaps);
VPD_STAT_FOPS(syncs);
VPD_STAT_FOPS(allocs);
VPD_STAT_FOPS(frees);
VPD_STAT_FOPS(bytes_mapped);
VPD_STAT_FOPS(bounce_to_device);
VPD_STAT_FOPS(bounce_from_device);

static int vpd_outstanding_get(void *data, u64 *val)
{
	*val = vpd_stats_outstanding(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vpd_outstanding_fops, vpd_outstanding_get, NULL, "%llu\n");

static int vpd_mode_show(struct seq_file *m, void *unused)
{
	struct vpd_dma *dma = m->private;

	seq_printf(m, "%s\n", vpd_mode_name(dma->mode));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpd_mode);

static int vpd_pool_used_get(void *data, u64 *val)
{
	*val = vpd_pool_used(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vpd_pool_used_fops, vpd_pool_used_get, NULL, "%llu\n");

static int vpd_pool_size_get(void *data, u64 *val)
{
	*val = vpd_pool_size(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vpd_pool_size_fops, vpd_pool_size_get, NULL, "%llu\n");

static void vpd_debugfs_add_pool(struct dentry *d, struct vpd_pool *pool,
				 struct vpd_stats *s)
{
	struct vpd_pool_stats *ps = vpd_pool_stats(pool);
	const struct {
		const char *name;
		atomic64_t *counter;
	} counters[] = {
		{ "pool_used_max", &ps->used_max },
		{ "pool_exhausted", &ps->exhausted },
		{ "platform_maps", &ps->platform_maps },
		{ "overflow_maps", &ps->overflow_maps },
		{ "overflow_bytes", &ps->overflow_bytes },
		{ "overflow_failed", &ps->overflow_failed },
	};
	unsigned int i;

	debugfs_create_file_unsafe("pool_size", 0444, d, pool, &vpd_pool_size_fops);
	debugfs_create_file_unsafe("pool_used", 0444, d, pool, &vpd_pool_used_fops);
	debugfs_create_file_unsafe("bounce_to_device", 0444, d, s,
				   &vpd_bounce_to_device_fops);
	debugfs_create_file_unsafe("bounce_from_device", 0444, d, s,
				   &vpd_bounce_from_device_fops);
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		debugfs_create_file_unsafe(counters[i].name, 0444, d,
					   counters[i].counter, &vpd_counter_fops);
}

static int vpd_audit_file_show(struct seq_file *m, void *unused)
{
	return vpd_audit_show(m, m->private);
}
DEFINE_SHOW_ATTRIBUTE(vpd_audit_file);

/*
 * Counters exist only where the module sees every DMA call; in platform
 * mode the platform's ops are called without us and "observed" reads 0.
 */
void vpd_debugfs_add(struct vpd_device *vpd)
{
	struct vpd_dma *dma = &vpd->dma;
	struct vpd_stats *s = &dma->stats;
	struct dentry *d;

	d = debugfs_create_dir(pci_name(vpd->mdev.pci_dev), vpd_debugfs_root);
	vpd->debugfs = d;
	debugfs_create_file("mode", 0444, d, dma, &vpd_mode_fops);
	debugfs_create_bool("observed", 0444, d, &dma->observed);
	debugfs_create_file("audit", 0444, d, dma, &vpd_audit_file_fops);
	if (!dma->observed)
		return;
	debugfs_create_file_unsafe("maps", 0444, d, s, &vpd_maps_fops);
	debugfs_create_file_unsafe("unmaps", 0444, d, s, &vpd_unmaps_fops);
	debugfs_create_file_unsafe("syncs", 0444, d, s, &vpd_syncs_fops);
	debugfs_create_file_unsafe("coherent_allocs", 0444, d, s, &vpd_allocs_fops);
	debugfs_create_file_unsafe("coherent_frees", 0444, d, s, &vpd_frees_fops);
	debugfs_create_file_unsafe("bytes_mapped", 0444, d, s, &vpd_bytes_mapped_fops);
	debugfs_create_file_unsafe("outstanding", 0444, d, s, &vpd_outstanding_fops);
	if (dma->pool)
		vpd_debugfs_add_pool(d, dma->pool, s);
}

static int vpd_queues_file_show(struct seq_file *m, void *unused)
{
	return vpd_queues_show(m, m->private);
}
DEFINE_SHOW_ATTRIBUTE(vpd_queues_file);

/* Not "unsafe": its removal at unbind waits for a reader. */
void vpd_debugfs_add_queues(struct vpd_device *vpd)
{
	debugfs_create_file("queues", 0444, vpd->debugfs, vpd,
			    &vpd_queues_file_fops);
}

void vpd_debugfs_remove(struct vpd_device *vpd)
{
	debugfs_remove(vpd->debugfs);
	vpd->debugfs = NULL;
}

void vpd_debugfs_init(void)
{
	vpd_debugfs_root = debugfs_create_dir("virtio_dma", NULL);
}

void vpd_debugfs_exit(void)
{
	debugfs_remove(vpd_debugfs_root);
}
