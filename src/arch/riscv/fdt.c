/*
 * Minimal FDT (devicetree spec v0.4, chapter 5) walker: finds the root's #address-cells
 * and #size-cells and the reg property of the first memory@ node. The blob is big-endian.
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

int fdt_memory(const void *dtb, uint64 *base, uint64 *size)
{
	const uchar *blob = dtb;
	if (!dtb || be32(blob) != FDT_MAGIC)
		return -1;
	const uchar *p = blob + be32(blob + 8);
	const char *strings = (const char *)blob + be32(blob + 12);
	int depth = 0, in_memory = 0, acells = 2, scells = 1;

	for (;;) {
		uint32 tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			depth++;
			in_memory = depth == 2 && strncmp(name, "memory", 6) == 0;
			p += (strlen(name) + 4) & ~3UL;
		} else if (tok == FDT_END_NODE) {
			depth--;
			in_memory = 0;
		} else if (tok == FDT_PROP) {
			uint32 len = be32(p), nameoff = be32(p + 4);
			const uchar *val = p + 8;
			const char *pname = strings + nameoff;
			if (depth == 1 && strncmp(pname, "#address-cells", 15) == 0)
				acells = (int)be32(val);
			else if (depth == 1 && strncmp(pname, "#size-cells", 12) == 0)
				scells = (int)be32(val);
			else if (in_memory && strncmp(pname, "reg", 4) == 0 &&
			         len >= 4U * (acells + scells)) {
				*base = read_cells(val, acells);
				*size = read_cells(val + 4 * acells, scells);
				return 0;
			}
			p += 8 + ((len + 3) & ~3U);
		} else if (tok == FDT_NOP) {
			continue;
		} else {
			return -1;
		}
	}
}
