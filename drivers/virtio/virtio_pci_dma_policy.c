// SPDX-License-Identifier: GPL-2.0
/*
 * What a device is asked to get: the module parameters dma_mode,
 * pool_size and audit are the defaults; policy= overrides them per
 * device, by PCI address or by virtio device type, e.g.
 *
 *   policy="net:mode=pool,pool_size=1M;0000:00:05.0:mode=direct,audit=1"
 *
 * An entry is the device, a colon, and settings separated by commas;
 * entries are separated by semicolons. A PCI address entry is stronger
 * than a device type entry; of two entries of the same strength, the
 * later one wins. policy is writable in /sys/module/virtio_pci_dma/
 * parameters/: a device takes the policy in force when it is bound, and
 * nothing already bound changes. A write with an invalid entry is
 * refused whole, naming the entry, and the policy in force stays.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/virtio_ids.h>

#include "virtio_pci_dma.h"

static const char * const vpd_want_names[] = {
	[VPD_WANT_AUTO] = "auto",
	[VPD_WANT_DIRECT] = "direct",
	[VPD_WANT_PLATFORM] = "platform",
	[VPD_WANT_POOL] = "pool",
};

/* The defaults; parsed at load, read-only after. */
static struct vpd_policy vpd_defaults = {
	.mode = VPD_WANT_AUTO,
	.pool_size = SZ_4M,
	.audit = false,
};

static int vpd_parse_mode(const char *val, enum vpd_want *mode)
{
	int i = sysfs_match_string(vpd_want_names, val);

	if (i < 0)
		return -EINVAL;
	*mode = i;
	return 0;
}

/*
 * Return: NULL, or why @val is no pool size. Decimal digits and an
 * optional K, M or G only: memparse() would take 0x and octal forms and
 * wrap a number too large into a small one.
 */
static const char *vpd_parse_pool_size(const char *val, size_t *size)
{
	static const char bad[] = "expected a size such as 256K or 4M";
	unsigned long long s = ULLONG_MAX;
	unsigned int shift = 0;
	const char *end, *why;
	char digits[21];
	size_t n;

	/* Leading zeros count for nothing, not even as too many digits. */
	while (val[0] == '0' && isdigit(val[1]))
		val++;
	n = strspn(val, "0123456789");
	end = val + n;
	if (!n)
		return bad;
	/* Too many digits saturates, as a shift does: the size check says so. */
	if (n < sizeof(digits)) {
		memcpy(digits, val, n);
		digits[n] = '\0';
		if (kstrtoull(digits, 10, &s))
			s = ULLONG_MAX;
	}
	switch (*end) {
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	}
	if (shift)
		end++;
	if (*end == '\n')
		end++;
	if (*end)
		return bad;
	s = s > (ULLONG_MAX >> shift) ? ULLONG_MAX : s << shift;
	why = vpd_pool_check_size(s);
	if (why)
		return why;
	*size = s;
	return NULL;
}

static int dma_mode_set(const char *val, const struct kernel_param *kp)
{
	if (vpd_parse_mode(val, &vpd_defaults.mode)) {
		pr_err("dma_mode=%s: expected auto, direct, platform or pool\n", val);
		return -EINVAL;
	}
	return 0;
}

static int dma_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vpd_want_names[vpd_defaults.mode]);
}

static const struct kernel_param_ops dma_mode_ops = {
	.set = dma_mode_set,
	.get = dma_mode_get,
};

module_param_cb(dma_mode, &dma_mode_ops, NULL, 0444);
MODULE_PARM_DESC(dma_mode,
		 "auto (default): platform ops with ACCESS_PLATFORM or when the architecture wants them, direct ops otherwise; direct; platform; pool");

static int pool_size_set(const char *val, const struct kernel_param *kp)
{
	const char *why = vpd_parse_pool_size(val, &vpd_defaults.pool_size);

	if (why) {
		pr_err("pool_size=%s: %s (64K to %zuK, whole pages)\n", val, why,
		       vpd_pool_max_size() >> 10);
		return -EINVAL;
	}
	return 0;
}

static int pool_size_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%zu\n", vpd_defaults.pool_size);
}

static const struct kernel_param_ops pool_size_ops = {
	.set = pool_size_set,
	.get = pool_size_get,
};

module_param_cb(pool_size, &pool_size_ops, NULL, 0444);
MODULE_PARM_DESC(pool_size, "Bounce region per device in pool mode (default 4M)");

module_param_named(audit, vpd_defaults.audit, bool, 0444);
MODULE_PARM_DESC(audit, "Check every DMA call of every device (default 0)");

/* One entry of policy=: which devices, and what it sets for them. */
struct vpd_policy_entry {
	bool by_address;
	u32 virtio_id;
	u32 domain;
	unsigned int bus;
	unsigned int devfn;
	int mode;		/* enum vpd_want, or -1: not set */
	size_t pool_size;	/* 0: not set */
	int audit;		/* 0, 1, or -1: not set */
};

#define VPD_POLICY_MAX_ENTRIES	64

struct vpd_policy_table {
	unsigned int count;
	char *text;
	struct vpd_policy_entry entries[VPD_POLICY_MAX_ENTRIES];
};

/* Replaced whole, under the module's parameter lock. */
static struct vpd_policy_table *vpd_policy_table;

/* The names a virtio device type goes by in policy=, as in virtio_ids.h. */
static const struct {
	const char *name;
	u32 id;
} vpd_type_names[] = {
	{ "net", VIRTIO_ID_NET },	{ "blk", VIRTIO_ID_BLOCK },
	{ "console", VIRTIO_ID_CONSOLE }, { "rng", VIRTIO_ID_RNG },
	{ "balloon", VIRTIO_ID_BALLOON }, { "scsi", VIRTIO_ID_SCSI },
	{ "9p", VIRTIO_ID_9P },		{ "gpu", VIRTIO_ID_GPU },
	{ "input", VIRTIO_ID_INPUT },	{ "vsock", VIRTIO_ID_VSOCK },
	{ "crypto", VIRTIO_ID_CRYPTO },	{ "iommu", VIRTIO_ID_IOMMU },
	{ "mem", VIRTIO_ID_MEM },	{ "sound", VIRTIO_ID_SOUND },
	{ "fs", VIRTIO_ID_FS },		{ "pmem", VIRTIO_ID_PMEM },
};

/* A virtio device type by name, or by its number ("id26"). */
static int vpd_parse_type(const char *s, u32 *id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vpd_type_names); i++) {
		if (!strcmp(s, vpd_type_names[i].name)) {
			*id = vpd_type_names[i].id;
			return 0;
		}
	}
	if (!strncmp(s, "id", 2) && !kstrtou32(s + 2, 10, id) && *id && *id < 64)
		return 0;
	return -EINVAL;
}

/*
 * One hex field of a PCI address, ending at @sep: 1 to @width digits and
 * nothing else (no 0x, no blanks). Return: the position after @sep, or
 * NULL.
 */
static const char *vpd_parse_hex(const char *s, char sep, unsigned int width,
				 unsigned int *val)
{
	unsigned int n = 0;

	*val = 0;
	for (; isxdigit(*s) && n < width; s++, n++)
		*val = *val << 4 | (isdigit(*s) ? *s - '0' : _tolower(*s) - 'a' + 10);
	if (!n || *s != sep)
		return NULL;
	return sep ? s + 1 : s;
}

/* A PCI address: [domain:]bus:device.function, in hex, as sysfs names it. */
static int vpd_parse_address(const char *s, struct vpd_policy_entry *e)
{
	unsigned int domain = 0, bus, dev, fn;
	const char *p = s, *colon = strchr(s, ':');

	/* Two colons: a domain first, of 16 bits as on every target. */
	if (colon && strchr(colon + 1, ':'))
		p = vpd_parse_hex(p, ':', 4, &domain);
	if (p)
		p = vpd_parse_hex(p, ':', 2, &bus);
	if (p)
		p = vpd_parse_hex(p, '.', 2, &dev);
	if (p)
		p = vpd_parse_hex(p, '\0', 1, &fn);
	if (!p || dev > 0x1f || fn > 7)
		return -EINVAL;
	e->by_address = true;
	e->domain = domain;
	e->bus = bus;
	e->devfn = PCI_DEVFN(dev, fn);
	return 0;
}

/* One key=value of an entry. Return: NULL, or what is wrong with it. */
static const char *vpd_parse_setting(char *setting, struct vpd_policy_entry *e)
{
	char *val = strchr(setting, '=');
	enum vpd_want mode;

	if (!val)
		return "a setting is key=value";
	*val++ = '\0';
	if (!strcmp(setting, "mode")) {
		if (vpd_parse_mode(val, &mode))
			return "mode is auto, direct, platform or pool";
		e->mode = mode;
	} else if (!strcmp(setting, "pool_size")) {
		const char *why = vpd_parse_pool_size(val, &e->pool_size);

		if (why)
			return why;
	} else if (!strcmp(setting, "audit")) {
		if (strcmp(val, "0") && strcmp(val, "1"))
			return "audit is 0 or 1";
		e->audit = *val == '1';
	} else {
		return "the keys are mode, pool_size and audit";
	}
	return NULL;
}

/* Return: NULL, or what is wrong with @entry (which is taken apart). */
static const char *vpd_parse_entry(char *entry, struct vpd_policy_entry *e)
{
	char *eq = strchr(entry, '=');
	char *colon, *setting;
	const char *why;

	*e = (struct vpd_policy_entry){ .mode = -1, .audit = -1 };
	if (!eq)
		return "expected DEVICE:key=value[,key=value...]";
	/* The device ends at the last colon before the first setting. */
	*eq = '\0';
	colon = strrchr(entry, ':');
	*eq = '=';
	if (!colon || colon == entry)
		return "expected DEVICE:key=value[,key=value...]";
	*colon = '\0';
	if (vpd_parse_address(entry, e) && vpd_parse_type(entry, &e->virtio_id))
		return "a device is a PCI address or a virtio type (net, blk, id26)";
	entry = colon + 1;
	while ((setting = strsep(&entry, ","))) {
		why = vpd_parse_setting(setting, e);
		if (why)
			return why;
	}
	return NULL;
}

static void vpd_policy_free(struct vpd_policy_table *t)
{
	if (t)
		kfree(t->text);
	kfree(t);
}

static struct vpd_policy_table *vpd_policy_parse(const char *val)
{
	size_t len = strlen(val), i, elen;
	struct vpd_policy_table *t;
	char *copy, *rest, *entry;
	const char *why;
	int err = 0;

	/* One trailing newline, as echo writes; nothing else unprintable. */
	if (len && val[len - 1] == '\n')
		len--;
	/*
	 * sysfs hands a longer write over in pieces of a page, each parsed
	 * as a whole policy, and reading it back must fit in a page: refuse
	 * what would be split rather than keep only its tail.
	 */
	if (len >= PAGE_SIZE - 2) {
		pr_err("policy: %zu characters, at most %lu\n", len,
		       PAGE_SIZE - 3);
		return ERR_PTR(-EINVAL);
	}
	for (i = 0; i < len; i++) {
		if (!isprint(val[i])) {
			pr_err("policy: character %zu is not printable\n", i + 1);
			return ERR_PTR(-EINVAL);
		}
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->text = kmemdup_nul(val, len, GFP_KERNEL);
	copy = kmemdup_nul(val, len, GFP_KERNEL);
	if (!t->text || !copy) {
		err = -ENOMEM;
		goto out;
	}
	rest = copy;
	while (!err && (entry = strsep(&rest, ";"))) {
		entry = strim(entry);
		if (!*entry)
			continue;
		if (t->count == VPD_POLICY_MAX_ENTRIES) {
			pr_err("policy: more than %d entries\n", VPD_POLICY_MAX_ENTRIES);
			err = -EINVAL;
			break;
		}
		/* Named as given: parsing takes the copy apart. */
		elen = strlen(entry);
		why = vpd_parse_entry(entry, &t->entries[t->count++]);
		if (why) {
			pr_err("policy: entry \"%.*s\": %s\n", (int)elen,
			       val + (entry - copy), why);
			err = -EINVAL;
		}
	}
out:
	kfree(copy);
	if (!err)
		return t;
	vpd_policy_free(t);
	return ERR_PTR(err);
}

/* Called with the module's parameter lock held, as the getter below. */
static int policy_set(const char *val, const struct kernel_param *kp)
{
	struct vpd_policy_table *t = vpd_policy_parse(val);

	if (IS_ERR(t))
		return PTR_ERR(t);
	vpd_policy_free(vpd_policy_table);
	vpd_policy_table = t;
	return 0;
}

static int policy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vpd_policy_table ? vpd_policy_table->text : "");
}

static void policy_free(void *arg)
{
	vpd_policy_free(vpd_policy_table);
	vpd_policy_table = NULL;
}

static const struct kernel_param_ops policy_ops = {
	.set = policy_set,
	.get = policy_get,
	.free = policy_free,
};

module_param_cb(policy, &policy_ops, NULL, 0644);
MODULE_PARM_DESC(policy,
		 "Per-device settings, DEVICE:key=value[,...][;...] with DEVICE a PCI address or a virtio type (net, blk, ...) and keys mode, pool_size, audit; taken at bind");

static bool vpd_entry_matches(const struct vpd_policy_entry *e,
			      struct pci_dev *pdev, u32 virtio_id)
{
	if (!e->by_address)
		return e->virtio_id == virtio_id;
	return e->domain == pci_domain_nr(pdev->bus) &&
	       e->bus == pdev->bus->number && e->devfn == pdev->devfn;
}

static void vpd_entry_apply(const struct vpd_policy_entry *e,
			    struct vpd_policy *p)
{
	if (e->mode >= 0)
		p->mode = e->mode;
	if (e->pool_size)
		p->pool_size = e->pool_size;
	if (e->audit >= 0)
		p->audit = e->audit;
}

/**
 * vpd_policy_get() - what a device is asked to get, at its bind
 * @pdev: the PCI device
 * @virtio_id: its virtio device type
 * @p: filled with the defaults, overridden by the device type's entries
 *	of policy=, then by its PCI address's
 */
void vpd_policy_get(struct pci_dev *pdev, u32 virtio_id, struct vpd_policy *p)
{
	const struct vpd_policy_table *t;
	unsigned int i;
	int pass;

	*p = vpd_defaults;
	kernel_param_lock(THIS_MODULE);
	t = vpd_policy_table;
	for (pass = 0; t && pass < 2; pass++) {
		for (i = 0; i < t->count; i++) {
			if (t->entries[i].by_address == pass &&
			    vpd_entry_matches(&t->entries[i], pdev, virtio_id))
				vpd_entry_apply(&t->entries[i], p);
		}
	}
	kernel_param_unlock(THIS_MODULE);
}
