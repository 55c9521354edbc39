/*
 * wc: count lines, words and bytes, printed as "lines words bytes name". A word is a
 * maximal run of characters other than space, tab, CR, LF and VT. Standard input, used
 * when no file is named, is reported with an empty name.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"

static char buf[512];

static void count(int fd, const char *name)
{
	int lines = 0, words = 0, bytes = 0, in_word = 0, n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		bytes += n;
		for (int i = 0; i < n; i++) {
			if (buf[i] == '\n')
				lines++;
			if (strchr(" \t\r\n\v", buf[i]) != 0) {
				in_word = 0;
			} else if (!in_word) {
				in_word = 1;
				words++;
			}
		}
	}
	if (n < 0) {
		fprintf(2, "wc: read error\n");
		exit(1);
	}
	printf("%d %d %d %s\n", lines, words, bytes, name);
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		count(0, "");
		exit(0);
	}
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0) {
			fprintf(2, "wc: cannot open %s\n", argv[i]);
			exit(1);
		}
		count(fd, argv[i]);
		close(fd);
	}
	exit(0);
}
