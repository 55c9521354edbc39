/*
 * sh: the command shell.
 *
 * Grammar, loosest binding first:
 *   list     := pipeline { (';' | '&') pipeline } [';' | '&']
 *   pipeline := command { '|' command }
 *   command  := '(' list ')' | word { word }
 * with any number of "< file" and "> file" redirections after a '(' list ')' or among a
 * command's words. Words may be quoted with '...' or "..." to hold blanks or operator
 * characters; '#' at the start of a word begins a comment.
 *
 * Each line is split into tokens, parsed into a tree of nodes from a static pool and
 * then run. The shell forks once per item of a list, so no command, however it fails,
 * can take the shell down with it. "cd" is the one built-in: a child's chdir() would be
 * lost when the child exits. A background job is started by a short-lived child that
 * forks the job and exits at once, so the job is re-parented to init, which reaps it.
 */
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"

#define LINE_MAX   512
#define MAX_TOKENS 256
#define MAX_NODES  64

static const char blanks[] = " \t\r\n\v";
static const char operators[] = "<>|&;()";

enum token_kind { T_END, T_WORD, T_LT, T_GT, T_PIPE, T_AMP, T_SEMI, T_LPAREN, T_RPAREN };

/* Token kinds for the characters of operators[], in the same order. */
static const enum token_kind operator_kinds[] = {T_LT,   T_GT,     T_PIPE,  T_AMP,
                                                 T_SEMI, T_LPAREN, T_RPAREN};

struct token {
	enum token_kind kind;
	char *word; /* T_WORD only */
};

enum node_kind {
	N_CMD,  /* argv, run with exec */
	N_SUB,  /* a parenthesised list, run in a subshell */
	N_PIPE, /* a | b */
	N_SEQ,  /* a ; b (a may be an N_BG) */
	N_BG,   /* a & */
};

struct node {
	enum node_kind kind;
	struct node *a, *b;
	int argc;
	char *argv[MAXARG + 1]; /* N_CMD, NULL-terminated */
	char *in, *out;         /* redirections of N_CMD and N_SUB, or NULL */
};

static char line[LINE_MAX];
/* Each word costs at most its characters plus a NUL, and takes at least one character. */
static char words[2 * LINE_MAX];
static struct token tokens[MAX_TOKENS];
static int next_token;
static struct node pool[MAX_NODES];
static int nodes_used;

/* ---- lexing ---- */

/* Splits line into tokens, ending with T_END. Returns 0, or -1 after printing why not. */
static int lex(const char *s)
{
	char *w = words;
	int n = 0;

	for (;;) {
		const char *op;

		while (*s != '\0' && strchr(blanks, *s) != 0)
			s++;
		if (n == MAX_TOKENS - 1) {
			fprintf(2, "sh: line too complex\n");
			return -1;
		}
		if (*s == '\0' || *s == '#') {
			tokens[n].kind = T_END;
			return 0;
		}
		op = strchr(operators, *s);
		if (op != 0) {
			tokens[n].kind = operator_kinds[op - operators];
			tokens[n++].word = 0;
			s++;
			continue;
		}
		tokens[n].kind = T_WORD;
		tokens[n++].word = w;
		while (*s != '\0' && strchr(blanks, *s) == 0 && strchr(operators, *s) == 0) {
			if (*s == '"' || *s == '\'') {
				char quote = *s++;

				while (*s != '\0' && *s != quote)
					*w++ = *s++;
				if (*s != quote) {
					fprintf(2, "sh: unterminated quote\n");
					return -1;
				}
				s++;
			} else {
				*w++ = *s++;
			}
		}
		*w++ = '\0';
	}
}

/* ---- parsing ---- */

static struct node *syntax_error(const char *why)
{
	fprintf(2, "sh: syntax error: %s\n", why);
	return 0;
}

static struct node *new_node(enum node_kind kind)
{
	struct node *n;

	if (nodes_used == MAX_NODES)
		return syntax_error("command too complex");
	n = &pool[nodes_used++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	return n;
}

static enum token_kind peek(void)
{
	return tokens[next_token].kind;
}

static struct node *parse_list(void);

static struct node *parse_command(void)
{
	struct node *n;

	if (peek() == T_LPAREN) {
		next_token++;
		n = new_node(N_SUB);
		if (n == 0)
			return 0;
		n->a = parse_list();
		if (n->a == 0)
			return 0;
		if (peek() != T_RPAREN)
			return syntax_error("missing )");
		next_token++;
	} else {
		n = new_node(N_CMD);
		if (n == 0)
			return 0;
	}

	for (;;) {
		enum token_kind k = peek();

		if (k == T_WORD && n->kind == N_CMD) {
			if (n->argc == MAXARG)
				return syntax_error("too many arguments");
			n->argv[n->argc++] = tokens[next_token++].word;
		} else if (k == T_LT || k == T_GT) {
			next_token++;
			if (peek() != T_WORD)
				return syntax_error("redirection without a file name");
			if (k == T_LT)
				n->in = tokens[next_token++].word;
			else
				n->out = tokens[next_token++].word;
		} else {
			break;
		}
	}
	if (n->kind == N_CMD && n->argc == 0)
		return syntax_error("missing command");
	return n;
}

static struct node *parse_pipeline(void)
{
	struct node *left, *n;

	left = parse_command();
	if (left == 0 || peek() != T_PIPE)
		return left;
	next_token++;
	n = new_node(N_PIPE);
	if (n == 0)
		return 0;
	n->a = left;
	n->b = parse_pipeline();
	return n->b != 0 ? n : 0;
}

static struct node *parse_list(void)
{
	struct node *item, *n;
	enum token_kind k;

	item = parse_pipeline();
	if (item == 0)
		return 0;
	k = peek();
	if (k == T_AMP) {
		next_token++;
		n = new_node(N_BG);
		if (n == 0)
			return 0;
		n->a = item;
		item = n;
	} else if (k == T_SEMI) {
		next_token++;
	} else if (k != T_END && k != T_RPAREN) {
		return syntax_error("unexpected token");
	}

	k = peek();
	if (k == T_END || k == T_RPAREN)
		return item;
	n = new_node(N_SEQ);
	if (n == 0)
		return 0;
	n->a = item;
	n->b = parse_list();
	return n->b != 0 ? n : 0;
}

/* ---- running ---- */

static void run(struct node *n) __attribute__((noreturn));

/* Makes file the process's descriptor fd, or exits. */
static void redirect(const char *file, int fd, int mode)
{
	int got = open(file, mode);

	if (got < 0) {
		fprintf(2, "open %s failed\n", file);
		exit(1);
	}
	if (got != fd) {
		close(fd);
		if (dup(got) != fd) {
			fprintf(2, "sh: cannot redirect to %s\n", file);
			exit(1);
		}
		close(got);
	}
}

static void apply_redirections(struct node *n)
{
	if (n->in != 0)
		redirect(n->in, 0, O_RDONLY);
	if (n->out != 0)
		redirect(n->out, 1, O_WRONLY | O_CREATE | O_TRUNC);
}

static int is_cd(struct node *n)
{
	return n->kind == N_CMD && strcmp(n->argv[0], "cd") == 0;
}

static void builtin_cd(struct node *n)
{
	const char *dir = n->argc > 1 ? n->argv[1] : "/";

	if (chdir(dir) < 0)
		fprintf(2, "cannot cd %s\n", dir);
}

static void exec_command(char **argv)
{
	char path[MAXPATH];

	exec(argv[0], argv);
	/* Programs live in the root directory; find them from anywhere. */
	if (strchr(argv[0], '/') == 0 && strlen(argv[0]) + 2 <= sizeof(path)) {
		path[0] = '/';
		strcpy(path + 1, argv[0]);
		exec(path, argv);
	}
	fprintf(2, "exec %s failed\n", argv[0]);
	exit(1);
}

/* Waits for child pid, reaping any other children that finish first. */
static void wait_for(int pid)
{
	int w;

	do {
		w = wait(0);
	} while (w >= 0 && w != pid);
}

static void run_pipe(struct node *n)
{
	int p[2], writer, reader;

	if (pipe(p) < 0) {
		fprintf(2, "sh: pipe failed\n");
		exit(1);
	}
	writer = fork();
	if (writer == 0) {
		close(1);
		dup(p[1]);
		close(p[0]);
		close(p[1]);
		run(n->a);
	}
	reader = fork();
	if (reader == 0) {
		close(0);
		dup(p[0]);
		close(p[0]);
		close(p[1]);
		run(n->b);
	}
	/* Close our ends, or the reader would never see end-of-file. */
	close(p[0]);
	close(p[1]);
	if (writer < 0 || reader < 0)
		fprintf(2, "sh: fork failed\n");
	if (writer > 0)
		wait(0);
	if (reader > 0)
		wait(0);
}

/* Runs one list item and waits for it, from a process that must outlive it. */
static void run_item(struct node *n)
{
	int pid;

	if (is_cd(n)) {
		builtin_cd(n);
		return;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(2, "sh: fork failed\n");
		return;
	}
	if (pid == 0) {
		if (n->kind == N_BG) {
			int job = fork();

			if (job == 0)
				run(n->a);
			if (job < 0)
				fprintf(2, "sh: fork failed\n");
			exit(job < 0);
		}
		run(n);
	}
	wait_for(pid);
}

static void run_list(struct node *n)
{
	for (; n->kind == N_SEQ; n = n->b)
		run_item(n->a);
	run_item(n);
}

/* Runs n in this (already forked) process, then exits. */
static void run(struct node *n)
{
	switch (n->kind) {
	case N_CMD:
		apply_redirections(n);
		if (is_cd(n)) {
			builtin_cd(n); /* pointless in a child, but not an error */
			exit(0);
		}
		exec_command(n->argv);
		break;
	case N_SUB:
		apply_redirections(n);
		run_list(n->a);
		break;
	case N_PIPE:
		run_pipe(n);
		break;
	case N_SEQ:
	case N_BG:
		run_list(n);
		break;
	}
	exit(0);
}

int main(void)
{
	int fd;

	/* Make sure descriptors 0-2 are open, so files opened later never land on them. */
	while ((fd = open("console", O_RDWR)) >= 0) {
		if (fd >= 3) {
			close(fd);
			break;
		}
	}

	for (;;) {
		struct node *tree;

		fprintf(2, "$ ");
		memset(line, 0, sizeof(line));
		gets(line, sizeof(line));
		if (line[0] == '\0')
			break; /* end of input */
		if (lex(line) < 0 || tokens[0].kind == T_END)
			continue;
		next_token = 0;
		nodes_used = 0;
		tree = parse_list();
		if (tree != 0 && peek() != T_END)
			tree = syntax_error("unexpected )");
		if (tree != 0)
			run_list(tree);
	}
	exit(0);
}
