/*
 * grep: print the lines that contain a match for a pattern.
 *
 * Patterns are a small regular-expression language: ordinary characters, '.' for any
 * character, 'c*' for zero or more of c (or of any character with ".*"), '^' anchoring
 * at the start of the line and '$' at its end.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"

static char buf[1024];

static int atom_matches(char atom, char c)
{
	return atom == '.' || atom == c;
}

/* Does re match some prefix of text? */
static int match_prefix(const char *re, const char *text)
{
	for (;;) {
		if (re[0] == '\0')
			return 1;
		if (re[1] == '*') {
			/* Take the longest run, then give characters back until the rest fits. */
			int run = 0;

			while (text[run] != '\0' && atom_matches(re[0], text[run]))
				run++;
			for (; run >= 0; run--) {
				if (match_prefix(re + 2, text + run))
					return 1;
			}
			return 0;
		}
		if (re[0] == '$' && re[1] == '\0')
			return text[0] == '\0';
		if (text[0] == '\0' || !atom_matches(re[0], text[0]))
			return 0;
		re++;
		text++;
	}
}

/* Does re match anywhere in the NUL-terminated line? */
static int match_line(const char *re, const char *line)
{
	if (re[0] == '^')
		return match_prefix(re + 1, line);
	/* Try every start position, including the empty tail, so "x*" or "$" can match. */
	do {
		if (match_prefix(re, line))
			return 1;
	} while (*line++ != '\0');
	return 0;
}

static void scan(const char *re, int fd)
{
	int have = 0, n;

	/* buf holds have bytes of unfinished line; one extra byte is kept for the NUL. */
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *line = buf, *nl;

		have += n;
		buf[have] = '\0';
		while ((nl = strchr(line, '\n')) != 0) {
			*nl = '\0';
			if (match_line(re, line)) {
				*nl = '\n';
				write(1, line, nl - line + 1);
			}
			line = nl + 1;
		}
		have -= line - buf;
		if (have == (int)sizeof(buf) - 1) {
			/* A line longer than the buffer: judge what we have as a whole line. */
			if (match_line(re, buf)) {
				write(1, buf, have);
				write(1, "\n", 1);
			}
			have = 0;
		} else if (have > 0) {
			memmove(buf, line, have);
		}
	}
	if (have > 0) {
		/* Last line without a trailing newline. */
		buf[have] = '\0';
		if (match_line(re, buf)) {
			write(1, buf, have);
			write(1, "\n", 1);
		}
	}
}

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(2, "usage: grep pattern [file...]\n");
		exit(1);
	}
	if (argc == 2) {
		scan(argv[1], 0);
		exit(0);
	}
	for (int i = 2; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0) {
			fprintf(2, "grep: cannot open %s\n", argv[i]);
			exit(1);
		}
		scan(argv[1], fd);
		close(fd);
	}
	exit(0);
}
