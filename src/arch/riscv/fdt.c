/*
 * Minimal FDT (devicetree spec v0.4, chapter 5) walker: visits every property with the
 * depth and name of its node. Two questions are asked of it: the reg property of the
 * first memory@ node (in the root's #address-cells/#size-cells) and /chosen's bootargs.
 * The blob is big-endian.
 */
#include "fdt.h"
#include "lib/string.h"

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

static uint32 be32(const void *p)
{
	const uchar *b = p;
	return ((uint32)b[0] << 24) | ((uint32)b[1] << 16) | ((uint32)b[2] << 8) | b[3];
}

static uint64 read_cells(const uchar *p, int cells)
{
	uint64 v = 0;
	for (int i = 0; i < cells; i++)
		v = (v << 32) | be32(p + 4 * i);
	return v;
}

struct fdt_prop {
	int depth;        /* 1 for properties of the root node */
	const char *node; /* name of the node holding the property */
	const char *name;
	const uchar *val;
	uint32 len;
};

/* Calls visit for each property until it returns non-zero; returns that, or -1 at the end
 * of the blob (or if it is not a device tree). */
static int fdt_walk(const void *dtb, int (*visit)(const struct fdt_prop *, void *), void *arg)
{
	const uchar *blob = dtb;
	if (!dtb || be32(blob) != FDT_MAGIC)
		return -1;
	const uchar *p = blob + be32(blob + 8);
	const char *strings = (const char *)blob + be32(blob + 12);
	struct fdt_prop prop = {.depth = 0, .node = ""};

	for (;;) {
		uint32 tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			prop.node = (const char *)p;
			prop.depth++;
			p += (strlen(prop.node) + 4) & ~3UL;
		} else if (tok == FDT_END_NODE) {
			prop.depth--;
			prop.node = ""; /* properties always precede subnodes */
		} else if (tok == FDT_PROP) {
			prop.len = be32(p);
			prop.name = strings + be32(p + 4);
			prop.val = p + 8;
			int r = visit(&prop, arg);
			if (r)
				return r;
			p += 8 + ((prop.len + 3) & ~3U);
		} else if (tok == FDT_NOP) {
			continue;
		} else {
			return -1;
		}
	}
}

struct memory_query {
	int acells, scells;
	uint64 *base, *size;
};

static int visit_memory(const struct fdt_prop *pr, void *arg)
{
	struct memory_query *q = arg;
	if (pr->depth == 1 && strncmp(pr->name, "#address-cells", 15) == 0)
		q->acells = (int)be32(pr->val);
	else if (pr->depth == 1 && strncmp(pr->name, "#size-cells", 12) == 0)
		q->scells = (int)be32(pr->val);
	else if (pr->depth == 2 && strncmp(pr->node, "memory", 6) == 0 &&
	         strncmp(pr->name, "reg", 4) == 0 && pr->len >= 4U * (q->acells + q->scells)) {
		*q->base = read_cells(pr->val, q->acells);
		*q->size = read_cells(pr->val + 4 * q->acells, q->scells);
		return 1;
	}
	return 0;
}

int fdt_memory(const void *dtb, uint64 *base, uint64 *size)
{
	struct memory_query q = {2, 1, base, size};
	return fdt_walk(dtb, visit_memory, &q) == 1 ? 0 : -1;
}

static int visit_bootargs(const struct fdt_prop *pr, void *arg)
{
	if (pr->depth == 2 && strncmp(pr->node, "chosen", 7) == 0 &&
	    strncmp(pr->name, "bootargs", 9) == 0 && pr->len > 0 && pr->val[pr->len - 1] == 0) {
		*(const char **)arg = (const char *)pr->val;
		return 1;
	}
	return 0;
}

const char *fdt_bootargs(const void *dtb)
{
	const char *args = NULL;
	return fdt_walk(dtb, visit_bootargs, &args) == 1 ? args : NULL;
}
