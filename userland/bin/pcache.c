/* pcache FILE...: which pages of each file are in the page cache, mapped, dirty. */
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "vmlib.h"

static unsigned char map[VM_PAGES_MAX];

static int show(const char *path)
{
	struct vm_pcache_info info;
	char line[STRIP_WIDTH + 1];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(2, "pcache: cannot open %s\n", path);
		return -1;
	}
	if (vm_pcache(fd, 0, map, VM_PAGES_MAX, &info) < 0) {
		fprintf(2, "pcache: %s is not a regular file\n", path);
		close(fd);
		return -1;
	}
	close(fd);
	int pages = (int)((info.size + 4095) / 4096);
	int shown = pages < VM_PAGES_MAX ? pages : VM_PAGES_MAX;
	printf("%s: %ld bytes, %d pages; ", path, info.size, pages);
	if (!info.obj) {
		printf("never read or mapped since it was last in memory: nothing cached\n");
		return 0;
	}
	printf("object %d: %d cached, %d mapped, %d dirty\n", info.obj, info.cached, info.mapped,
	       info.dirty);
	strip(line, map, shown, VMPC_CHARS);
	int group = (shown + STRIP_WIDTH - 1) / STRIP_WIDTH;
	printf("    [%s]%s\n", line, group > 1 ? " (several pages per char)" : "");
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(2, "usage: pcache FILE...\n");
		exit(1);
	}
	int bad = 0;
	for (int i = 1; i < argc; i++)
		bad |= show(argv[i]) < 0;
	printf(
	    "legend: . not cached  c cached  m cached and mapped  D dirty (newer than the disk)\n");
	exit(bad);
}
