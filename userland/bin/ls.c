/*
 * ls: list files. For each argument (default ".") that is a directory, one line per
 * entry; otherwise one line for the file itself. Each line is "name type inode size",
 * with the name's last path component padded to DIRSIZ columns.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"

/* The last component of path, blank-padded to DIRSIZ (longer names are left whole). */
static const char *display_name(const char *path)
{
	static char out[DIRSIZ + 1];
	const char *base = path + strlen(path);
	uint len;

	while (base > path && base[-1] != '/')
		base--;
	len = strlen(base);
	if (len >= DIRSIZ)
		return base;
	memmove(out, base, len);
	memset(out + len, ' ', DIRSIZ - len);
	out[DIRSIZ] = '\0';
	return out;
}

static void show(const char *path, const struct stat *st)
{
	printf("%s %d %d %d\n", display_name(path), st->type, st->ino, (int)st->size);
}

static void list_dir(int fd, const char *path)
{
	char full[512];
	struct dirent de;
	struct stat st;
	uint plen = strlen(path);

	if (plen + 1 + DIRSIZ + 1 > sizeof(full)) {
		fprintf(2, "ls: path too long\n");
		return;
	}
	memmove(full, path, plen);
	full[plen] = '/';
	while (read(fd, &de, sizeof(de)) == sizeof(de)) {
		if (de.inum == 0)
			continue;
		/* Directory entry names are not NUL-terminated when they fill all DIRSIZ bytes. */
		memmove(full + plen + 1, de.name, DIRSIZ);
		full[plen + 1 + DIRSIZ] = '\0';
		if (stat(full, &st) < 0) {
			fprintf(2, "ls: cannot stat %s\n", full);
			continue;
		}
		show(full, &st);
	}
}

static void ls(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(2, "ls: cannot open %s\n", path);
		return;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(2, "ls: cannot stat %s\n", path);
		close(fd);
		return;
	}
	if (st.type == T_DIR)
		list_dir(fd, path);
	else
		show(path, &st);
	close(fd);
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		ls(".");
		exit(0);
	}
	for (int i = 1; i < argc; i++)
		ls(argv[i]);
	exit(0);
}
