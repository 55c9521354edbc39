/*
 * vma_test.c: host unit tests of the VMA tree (src/mm/vma.c), printed as TAP for meson.
 *
 * Built natively with AddressSanitizer and UBSan. Every node comes from calloc through
 * node() and is released by release_all() at the end of each test, so the leak checker
 * also proves the tree never keeps a node the caller has let go of.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/vma.h"

#define PG 4096UL

/* ---- a tiny TAP harness ---- */

static int test_no;
static int failures;
static int cur_failed; /* assertions failed in the test now running */
static long checks;    /* assertions evaluated, reported at the end */

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
			cur_failed++;                                                              \
		}                                                                                  \
	} while (0)

/* Stops the current test early when continuing would only cascade into noise. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("#   %s:%d: required: %s\n", __FILE__, __LINE__, #cond);            \
			cur_failed++;                                                              \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* ---- node allocation, tracked so each test frees everything it made ---- */

static struct vma **nodes;
static size_t nnodes, cap_nodes;

static struct vma *node(uint64 start, uint64 end)
{
	struct vma *v = calloc(1, sizeof(*v));

	if (!v) {
		perror("calloc");
		exit(2);
	}
	if (nnodes == cap_nodes) {
		cap_nodes = cap_nodes ? 2 * cap_nodes : 64;
		nodes = realloc(nodes, cap_nodes * sizeof(*nodes));
		if (!nodes) {
			perror("realloc");
			exit(2);
		}
	}
	nodes[nnodes++] = v;
	v->start = start;
	v->end = end;
	return v;
}

static void release_all(void)
{
	for (size_t i = 0; i < nnodes; i++)
		free(nodes[i]);
	free(nodes);
	nodes = NULL;
	nnodes = cap_nodes = 0;
}

static void run(void (*fn)(void), const char *name)
{
	cur_failed = 0;
	fn();
	release_all();
	test_no++;
	if (cur_failed) {
		failures++;
		printf("not ok %d - %s\n", test_no, name);
	} else {
		printf("ok %d - %s\n", test_no, name);
	}
	fflush(stdout);
}

/* Deterministic PRNG (xorshift64*), so a failure reproduces exactly. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* Fake backing objects: only their addresses matter to the tree. */
static int obj_a_storage, obj_b_storage;
#define OBJ_A ((struct vmobj *)&obj_a_storage)
#define OBJ_B ((struct vmobj *)&obj_b_storage)

static struct vma *add(struct vma_tree *t, uint64 start, uint64 end)
{
	struct vma *v = node(start, end);

	return vma_insert(t, v) == 0 ? v : NULL;
}

/* ---- tests ---- */

static void test_empty(void)
{
	struct vma_tree t;

	vma_tree_init(&t);
	CHECK(t.count == 0);
	CHECK(vma_check(&t) == 0);
	CHECK(vma_first(&t) == NULL);
	CHECK(vma_lookup(&t, 0x10000) == NULL);
	CHECK(vma_first_after(&t, 0) == NULL);
	CHECK(vma_range_free(&t, 0x1000, 0x100000));
}

static void test_insert_lookup(void)
{
	struct vma_tree t;
	struct vma *a, *b, *c;

	vma_tree_init(&t);
	a = add(&t, 0x10000, 0x13000);
	b = add(&t, 0x20000, 0x21000);
	c = add(&t, 0x5000, 0x6000);
	REQUIRE(a && b && c);
	CHECK(t.count == 3);
	CHECK(vma_check(&t) == 0);

	CHECK(vma_lookup(&t, 0x10000) == a); /* first byte */
	CHECK(vma_lookup(&t, 0x10001) == a);
	CHECK(vma_lookup(&t, 0x11fff) == a);
	CHECK(vma_lookup(&t, 0x12fff) == a);    /* last byte */
	CHECK(vma_lookup(&t, 0x13000) == NULL); /* end is exclusive */
	CHECK(vma_lookup(&t, 0xffff) == NULL);  /* just before start */
	CHECK(vma_lookup(&t, 0x20000) == b);
	CHECK(vma_lookup(&t, 0x20fff) == b);
	CHECK(vma_lookup(&t, 0x21000) == NULL);
	CHECK(vma_lookup(&t, 0x5000) == c);
	CHECK(vma_lookup(&t, 0x4fff) == NULL);
	CHECK(vma_lookup(&t, 0) == NULL);
	CHECK(vma_lookup(&t, UINT64_MAX) == NULL);
	CHECK(vma_first(&t) == c);
}

static void test_overlap_rejected(void)
{
	struct vma_tree t;
	struct vma *a, *b;
	static const struct {
		uint64 start, end;
		const char *shape;
	} bad[] = {
	    {0x10000, 0x14000, "same range"},
	    {0x11000, 0x12000, "strictly inside"},
	    {0x10000, 0x11000, "inside, sharing start"},
	    {0x13000, 0x14000, "inside, sharing end"},
	    {0xf000, 0x15000, "covering"},
	    {0x10000, 0x15000, "covering, sharing start"},
	    {0xe000, 0x11000, "overlapping the head"},
	    {0x13000, 0x16000, "overlapping the tail"},
	    {0x13000, 0x21000, "bridging into the next VMA"},
	    {0x1000, 0x40000, "covering both VMAs"},
	    {0x1f000, 0x21000, "overlapping the second VMA's head"},
	};

	vma_tree_init(&t);
	a = add(&t, 0x10000, 0x14000);
	b = add(&t, 0x20000, 0x24000);
	REQUIRE(a && b);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vma *v = node(bad[i].start, bad[i].end);
		int r = vma_insert(&t, v);

		if (r != -1)
			printf("#   overlap shape accepted: %s\n", bad[i].shape);
		CHECK(r == -1);
		CHECK(t.count == 2);
		CHECK(vma_check(&t) == 0);
	}
	CHECK(vma_lookup(&t, 0x10000) == a);
	CHECK(vma_lookup(&t, 0x20000) == b);

	/* Adjacent on either side is fine. */
	CHECK(add(&t, 0xc000, 0x10000) != NULL);
	CHECK(add(&t, 0x14000, 0x15000) != NULL);
	CHECK(add(&t, 0x15000, 0x20000) != NULL); /* fills the gap exactly */
	CHECK(t.count == 5);
	CHECK(vma_check(&t) == 0);
}

static void test_bad_ranges(void)
{
	struct vma_tree t;

	vma_tree_init(&t);
	CHECK(add(&t, 0x10000, 0x10000) == NULL); /* empty */
	CHECK(add(&t, 0x11000, 0x10000) == NULL); /* reversed */
	CHECK(add(&t, 0x10800, 0x12000) == NULL); /* unaligned start */
	CHECK(add(&t, 0x10000, 0x11800) == NULL); /* unaligned end */
	CHECK(add(&t, 0x10001, 0x10fff) == NULL); /* both */
	CHECK(add(&t, 0, 0) == NULL);
	CHECK(t.count == 0);
	CHECK(t.root == NULL);
	CHECK(vma_check(&t) == 0);
	CHECK(vma_insert(&t, NULL) == -1);
}

static void test_remove(void)
{
	struct vma_tree t;
	struct vma *v[16];

	vma_tree_init(&t);
	for (int i = 0; i < 16; i++) {
		v[i] = add(&t, (uint64)(i + 1) * 0x10000, (uint64)(i + 1) * 0x10000 + 0x2000);
		REQUIRE(v[i]);
	}
	CHECK(vma_check(&t) == 0);

	/* The root always has two children here: the hardest case, done first. */
	struct vma *root = t.root;
	vma_remove(&t, root);
	CHECK(vma_check(&t) == 0);
	CHECK(t.count == 15);
	CHECK(vma_lookup(&t, root->start) == NULL);
	CHECK(root->left == NULL && root->right == NULL && root->parent == NULL);

	/* A leaf, then the rest in a scattered order. */
	for (int k = 0; k < 16; k++) {
		struct vma *x = v[(k * 7) % 16];

		if (x == root)
			continue;
		CHECK(vma_lookup(&t, x->start) == x);
		vma_remove(&t, x);
		CHECK(vma_lookup(&t, x->start) == NULL);
		CHECK(vma_lookup(&t, x->end - 1) == NULL);
		CHECK(vma_check(&t) == 0);
	}
	CHECK(t.count == 0);
	CHECK(t.root == NULL);

	/* The freed space can be reused. */
	CHECK(add(&t, 0x10000, 0x30000) != NULL);
	CHECK(vma_check(&t) == 0);
}

static void test_iteration(void)
{
	struct vma_tree t;
	enum { N = 200 };
	int order[N];
	struct vma *v;
	int i;

	vma_tree_init(&t);
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		int j = (int)rnd_below((uint64_t)i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < N; i++) {
		uint64 s = 0x100000 + (uint64)order[i] * 3 * PG;

		REQUIRE(add(&t, s, s + (1 + order[i] % 2) * PG));
	}
	CHECK(vma_check(&t) == 0);

	i = 0;
	struct vma *last = NULL;
	for (v = vma_first(&t); v; v = vma_next(v), i++) {
		CHECK(v->start == 0x100000 + (uint64)i * 3 * PG);
		if (last)
			CHECK(vma_prev(v) == last);
		last = v;
	}
	CHECK(i == N);
	REQUIRE(last);
	CHECK(vma_next(last) == NULL);
	CHECK(vma_prev(vma_first(&t)) == NULL);

	i = N;
	for (v = last; v; v = vma_prev(v))
		CHECK(v->start == 0x100000 + (uint64)--i * 3 * PG);
	CHECK(i == 0);
}

static void test_first_after(void)
{
	struct vma_tree t;
	struct vma *a, *b, *c;

	vma_tree_init(&t);
	a = add(&t, 0x10000, 0x12000);
	b = add(&t, 0x20000, 0x23000);
	c = add(&t, 0x23000, 0x24000); /* adjacent to b */
	REQUIRE(a && b && c);

	CHECK(vma_first_after(&t, 0) == a);
	CHECK(vma_first_after(&t, 0xffff) == a);
	CHECK(vma_first_after(&t, 0x10000) == a); /* at start */
	CHECK(vma_first_after(&t, 0x11fff) == a); /* inside */
	CHECK(vma_first_after(&t, 0x12000) == b); /* at a's (exclusive) end */
	CHECK(vma_first_after(&t, 0x18000) == b); /* in the gap */
	CHECK(vma_first_after(&t, 0x22fff) == b);
	CHECK(vma_first_after(&t, 0x23000) == c);
	CHECK(vma_first_after(&t, 0x23fff) == c);
	CHECK(vma_first_after(&t, 0x24000) == NULL);
	CHECK(vma_first_after(&t, UINT64_MAX) == NULL);
}

static void test_range_free(void)
{
	struct vma_tree t;

	vma_tree_init(&t);
	REQUIRE(add(&t, 0x10000, 0x12000));
	REQUIRE(add(&t, 0x20000, 0x23000));

	CHECK(vma_range_free(&t, 0x1000, 0x10000));   /* ends where a starts */
	CHECK(vma_range_free(&t, 0x12000, 0x20000));  /* exactly the gap */
	CHECK(vma_range_free(&t, 0x23000, 0x100000)); /* after everything */
	CHECK(!vma_range_free(&t, 0x1000, 0x10001));  /* one byte into a */
	CHECK(!vma_range_free(&t, 0x11fff, 0x12000)); /* a's last byte */
	CHECK(!vma_range_free(&t, 0x12000, 0x20001)); /* one byte into b */
	CHECK(!vma_range_free(&t, 0x11000, 0x11001)); /* inside */
	CHECK(!vma_range_free(&t, 0x0, 0x100000));    /* covering both */
	CHECK(vma_range_free(&t, 0x11000, 0x11000));  /* empty range */
}

/* Checks the find_gap contract for a returned address. */
static void check_gap(const struct vma_tree *t, uint64 a, uint64 len, uint64 lo, uint64 hi)
{
	CHECK(a != 0);
	CHECK(a % PG == 0);
	CHECK(a >= lo);
	CHECK(a + len <= hi);
	CHECK(vma_range_free(t, a, a + len));
	/* Highest: one page up would no longer fit. */
	CHECK(a + PG + len > hi || !vma_range_free(t, a + PG, a + PG + len));
}

static void test_find_gap(void)
{
	struct vma_tree t;
	uint64 a;

	vma_tree_init(&t);
	/* Empty tree: just below hi. */
	CHECK(vma_find_gap(&t, 0x3000, 0x1000, 0x100000) == 0x100000 - 0x3000);
	/* An unaligned hi rounds the answer down; an unaligned len still fits. */
	CHECK(vma_find_gap(&t, 0x3000, 0x1000, 0x100800) == 0x100000 - 0x3000);
	CHECK(vma_find_gap(&t, 0x2800, 0x1000, 0x100000) == 0x100000 - 0x3000);
	/* No room at all. */
	CHECK(vma_find_gap(&t, 0x200000, 0x1000, 0x100000) == 0);
	CHECK(vma_find_gap(&t, 0x3000, 0x10000, 0x12000) == 0);
	CHECK(vma_find_gap(&t, 0, 0x1000, 0x100000) == 0);
	CHECK(vma_find_gap(&t, 0x1000, 0x5000, 0x1000) == 0); /* hi below lo */
	/* Exactly fits between lo and hi. */
	CHECK(vma_find_gap(&t, 0x4000, 0x10000, 0x14000) == 0x10000);
	/* An unaligned lo rounds up, and then it no longer fits. */
	CHECK(vma_find_gap(&t, 0x4000, 0x10001, 0x14000) == 0);
	CHECK(vma_find_gap(&t, 0x3000, 0x10001, 0x14000) == 0x11000);

	/*
	 * Layout (pages): [0x10,0x20) vma, gap of 2 pages, [0x22,0x30) vma, gap of 8 pages,
	 * [0x38,0x40) vma, gap of 3 pages, [0x43,0x50) vma; hi = 0x50 pages.
	 */
	REQUIRE(add(&t, 0x10 * PG, 0x20 * PG));
	REQUIRE(add(&t, 0x22 * PG, 0x30 * PG));
	REQUIRE(add(&t, 0x38 * PG, 0x40 * PG));
	REQUIRE(add(&t, 0x43 * PG, 0x50 * PG));

	a = vma_find_gap(&t, 2 * PG, PG, 0x50 * PG);
	CHECK(a == 0x41 * PG); /* highest: top of the 3-page gap */
	check_gap(&t, a, 2 * PG, PG, 0x50 * PG);
	a = vma_find_gap(&t, 3 * PG, PG, 0x50 * PG);
	CHECK(a == 0x40 * PG); /* exactly fills the 3-page gap */
	a = vma_find_gap(&t, 4 * PG, PG, 0x50 * PG);
	CHECK(a == 0x34 * PG); /* skips the small gap */
	check_gap(&t, a, 4 * PG, PG, 0x50 * PG);
	a = vma_find_gap(&t, 9 * PG, PG, 0x50 * PG);
	CHECK(a == 0x7 * PG); /* only below everything */
	check_gap(&t, a, 9 * PG, PG, 0x50 * PG);
	CHECK(vma_find_gap(&t, 0x10 * PG, PG, 0x50 * PG) == 0); /* 15 pages below, no more */
	CHECK(vma_find_gap(&t, 0xf * PG, PG, 0x50 * PG) == PG);

	/* hi limits the search: below 0x34 pages the 8-page gap is cut to 4. */
	CHECK(vma_find_gap(&t, 4 * PG, PG, 0x34 * PG) == 0x30 * PG);
	CHECK(vma_find_gap(&t, 5 * PG, PG, 0x34 * PG) == 0xb * PG);
	CHECK(vma_find_gap(&t, 5 * PG, PG, 0x3c * PG) == 0x33 * PG);
	/* hi inside a VMA. */
	CHECK(vma_find_gap(&t, 2 * PG, PG, 0x25 * PG) == 0x20 * PG);
	/* lo limits it: the 2-page gap qualifies, nothing lower does. */
	CHECK(vma_find_gap(&t, 2 * PG, 0x20 * PG, 0x31 * PG) == 0x20 * PG);
	CHECK(vma_find_gap(&t, 2 * PG, 0x21 * PG, 0x31 * PG) == 0);
	CHECK(vma_find_gap(&t, 9 * PG, 0x8 * PG, 0x50 * PG) == 0);
	/* Above everything, when hi allows it. */
	CHECK(vma_find_gap(&t, 9 * PG, PG, 0x100 * PG) == 0xf7 * PG);
	CHECK(vma_find_gap(&t, 0x10 * PG, 0x50 * PG, 0x60 * PG) == 0x50 * PG);
	/* Extremes of the address space do not wrap. */
	CHECK(vma_find_gap(&t, PG, UINT64_MAX - 10, UINT64_MAX) == 0);
	CHECK(vma_find_gap(&t, UINT64_MAX, PG, UINT64_MAX) == 0);
	a = vma_find_gap(&t, PG, PG, UINT64_MAX);
	CHECK(a == (UINT64_MAX - PG) / PG * PG);
}

static void test_split(void)
{
	struct vma_tree t;
	struct vma *v, *tail;

	vma_tree_init(&t);
	REQUIRE(add(&t, 0x1000, 0x2000));
	v = add(&t, 0x10000, 0x20000);
	REQUIRE(add(&t, 0x30000, 0x31000));
	REQUIRE(v);
	v->prot = 3;
	v->flags = VMA_SHARED;
	v->kind = 5;
	v->obj = OBJ_A;
	v->off = 0x5000;

	tail = node(0, 0);
	vma_split(&t, v, 0x14000, tail);
	CHECK(vma_check(&t) == 0);
	CHECK(t.count == 4);
	CHECK(v->start == 0x10000 && v->end == 0x14000);
	CHECK(v->off == 0x5000);
	CHECK(tail->start == 0x14000 && tail->end == 0x20000);
	CHECK(tail->off == 0x9000);
	CHECK(tail->prot == 3 && tail->flags == VMA_SHARED && tail->kind == 5);
	CHECK(tail->obj == OBJ_A);
	CHECK(v->prot == 3 && v->flags == VMA_SHARED && v->kind == 5 && v->obj == OBJ_A);
	CHECK(vma_lookup(&t, 0x10000) == v);
	CHECK(vma_lookup(&t, 0x13fff) == v);
	CHECK(vma_lookup(&t, 0x14000) == tail);
	CHECK(vma_lookup(&t, 0x1ffff) == tail);
	CHECK(vma_next(v) == tail);
	CHECK(vma_prev(tail) == v);
	CHECK(vma_mergeable(v, tail)); /* the two halves are contiguous in the object */

	/* Splitting at the last page. */
	struct vma *t2 = node(0, 0);
	vma_split(&t, tail, 0x1f000, t2);
	CHECK(vma_check(&t) == 0);
	CHECK(t.count == 5);
	CHECK(t2->start == 0x1f000 && t2->end == 0x20000 && t2->off == 0x5000 + 0xf000);
	CHECK(tail->end == 0x1f000);

	/* Invalid split points change nothing. */
	struct vma *t3 = node(0, 0);
	vma_split(&t, v, 0x10000, t3); /* at start */
	vma_split(&t, v, 0x14000, t3); /* at end */
	vma_split(&t, v, 0x12800, t3); /* unaligned */
	vma_split(&t, v, 0x50000, t3); /* outside */
	CHECK(t.count == 5);
	CHECK(v->start == 0x10000 && v->end == 0x14000);
	CHECK(vma_check(&t) == 0);

	/* Anonymous memory: off still advances, harmlessly. */
	struct vma *anon = add(&t, 0x40000, 0x44000), *t4 = node(0, 0);
	REQUIRE(anon);
	vma_split(&t, anon, 0x41000, t4);
	CHECK(t4->obj == NULL && t4->start == 0x41000 && anon->end == 0x41000);
	CHECK(vma_check(&t) == 0);
}

/*
 * Unmaps [start, end) the way mm's munmap does: split the VMAs that straddle either edge,
 * then remove everything inside. Removed nodes stay in the test's allocation list.
 */
static void unmap_range(struct vma_tree *t, uint64 start, uint64 end)
{
	struct vma *v = vma_first_after(t, start);

	while (v && v->start < end) {
		struct vma *next;

		if (v->start < start) {
			struct vma *tail = node(0, 0);

			vma_split(t, v, start, tail);
			v = tail;
		}
		if (v->end > end) {
			struct vma *tail = node(0, 0);

			vma_split(t, v, end, tail);
		}
		next = vma_next(v);
		vma_remove(t, v);
		v = next;
	}
}

/* Compares the tree with an expected list of [start, end) pairs, in pages. */
static int tree_is(const struct vma_tree *t, const uint64 *pairs, int n)
{
	const struct vma *v = vma_first(t);

	if (t->count != n || vma_check(t) != 0)
		return 0;
	for (int i = 0; i < n; i++, v = vma_next(v)) {
		if (!v || v->start != pairs[2 * i] * PG || v->end != pairs[2 * i + 1] * PG)
			return 0;
	}
	return v == NULL;
}

static void test_range_removal(void)
{
	struct vma_tree t;
	struct vma *v;

	/* Head of a VMA. */
	vma_tree_init(&t);
	v = add(&t, 0x10 * PG, 0x20 * PG);
	REQUIRE(v);
	v->obj = OBJ_A;
	v->off = 0;
	unmap_range(&t, 0x10 * PG, 0x14 * PG);
	{
		const uint64 want[] = {0x14, 0x20};
		CHECK(tree_is(&t, want, 1));
		v = vma_first(&t);
		REQUIRE(v);
		CHECK(v->off == 4 * PG); /* the survivor is the tail, offset advanced */
		CHECK(v->obj == OBJ_A);
	}

	/* Tail of a VMA. */
	vma_tree_init(&t);
	v = add(&t, 0x10 * PG, 0x20 * PG);
	REQUIRE(v);
	v->off = 7 * PG;
	v->obj = OBJ_B;
	unmap_range(&t, 0x1c * PG, 0x20 * PG);
	{
		const uint64 want[] = {0x10, 0x1c};
		CHECK(tree_is(&t, want, 1));
		CHECK(vma_first(&t) == v && v->off == 7 * PG);
	}

	/* The middle: one VMA becomes two. */
	vma_tree_init(&t);
	v = add(&t, 0x10 * PG, 0x20 * PG);
	REQUIRE(v);
	v->obj = OBJ_A;
	v->off = PG;
	v->prot = 1;
	unmap_range(&t, 0x14 * PG, 0x18 * PG);
	{
		const uint64 want[] = {0x10, 0x14, 0x18, 0x20};
		struct vma *hi;

		CHECK(tree_is(&t, want, 2));
		CHECK(vma_lookup(&t, 0x14 * PG) == NULL);
		CHECK(vma_lookup(&t, 0x17 * PG + 0xfff) == NULL);
		hi = vma_lookup(&t, 0x18 * PG);
		REQUIRE(hi);
		CHECK(hi->off == PG + 8 * PG && hi->prot == 1 && hi->obj == OBJ_A);
		CHECK(!vma_mergeable(v, hi)); /* a hole separates them now */
	}

	/* Spanning several: partial first, whole middles, partial last, with gaps. */
	vma_tree_init(&t);
	REQUIRE(add(&t, 0x08 * PG, 0x0a * PG));
	REQUIRE(add(&t, 0x10 * PG, 0x20 * PG));
	REQUIRE(add(&t, 0x20 * PG, 0x24 * PG));
	REQUIRE(add(&t, 0x28 * PG, 0x30 * PG));
	REQUIRE(add(&t, 0x30 * PG, 0x40 * PG));
	REQUIRE(add(&t, 0x50 * PG, 0x60 * PG));
	unmap_range(&t, 0x18 * PG, 0x38 * PG);
	{
		const uint64 want[] = {0x08, 0x0a, 0x10, 0x18, 0x38, 0x40, 0x50, 0x60};
		CHECK(tree_is(&t, want, 4));
	}

	/* Exactly whole VMAs, and a range that touches nothing. */
	unmap_range(&t, 0x38 * PG, 0x40 * PG);
	unmap_range(&t, 0x40 * PG, 0x50 * PG);
	{
		const uint64 want[] = {0x08, 0x0a, 0x10, 0x18, 0x50, 0x60};
		CHECK(tree_is(&t, want, 3));
	}
	unmap_range(&t, 0, 0x100 * PG);
	CHECK(tree_is(&t, NULL, 0));
}

static void test_mergeable(void)
{
	struct vma a = {0}, b = {0};

	a.start = 0x10000;
	a.end = 0x12000;
	a.prot = 3;
	a.kind = 1;
	b = a;
	b.start = 0x12000;
	b.end = 0x15000;

	CHECK(vma_mergeable(&a, &b));  /* anonymous, adjacent, alike */
	CHECK(!vma_mergeable(&b, &a)); /* wrong order */
	b.off = 0x99000;
	CHECK(vma_mergeable(&a, &b)); /* offsets are meaningless without an object */
	b.off = 0;

	b.start = 0x13000;
	CHECK(!vma_mergeable(&a, &b)); /* a gap */
	b.start = 0x11000;
	CHECK(!vma_mergeable(&a, &b)); /* overlapping */
	b.start = 0x12000;

	b.prot = 1;
	CHECK(!vma_mergeable(&a, &b));
	b.prot = 3;
	b.flags = VMA_SHARED;
	CHECK(!vma_mergeable(&a, &b));
	b.flags = VMA_PRIVATE;
	b.kind = 2;
	CHECK(!vma_mergeable(&a, &b));
	b.kind = 1;
	b.obj = OBJ_A;
	CHECK(!vma_mergeable(&a, &b)); /* anonymous next to file-backed */

	a.obj = OBJ_A;
	a.off = 0x3000;
	b.off = 0x5000; /* 0x3000 + 0x2000 */
	CHECK(vma_mergeable(&a, &b));
	b.off = 0x6000;
	CHECK(!vma_mergeable(&a, &b)); /* same object, discontiguous offsets */
	b.off = 0x3000;
	CHECK(!vma_mergeable(&a, &b));
	b.off = 0x5000;
	b.obj = OBJ_B;
	CHECK(!vma_mergeable(&a, &b)); /* different objects */
}

/* vma_check is what the stress test trusts, so it must itself notice broken trees. */
static void test_check_detects(void)
{
	struct vma_tree t, u;
	struct vma *a, *b, *c, *x, *y, *z;

	vma_tree_init(&t);
	b = add(&t, 0x20000, 0x22000);
	a = add(&t, 0x10000, 0x12000);
	c = add(&t, 0x30000, 0x32000);
	REQUIRE(a && b && c && t.root == b && b->left == a && b->right == c);
	REQUIRE(vma_check(&t) == 0);

	t.count++;
	CHECK(vma_check(&t) != 0); /* count disagrees with the nodes */
	t.count--;
	a->parent = NULL;
	CHECK(vma_check(&t) != 0); /* broken parent link */
	a->parent = b;
	c->height = 2;
	CHECK(vma_check(&t) != 0); /* stale height */
	c->height = 1;
	a->end = 0x21000;
	CHECK(vma_check(&t) != 0); /* overlaps its successor */
	a->end = 0x10000;
	CHECK(vma_check(&t) != 0); /* empty */
	a->end = 0x12001;
	CHECK(vma_check(&t) != 0); /* unaligned */
	a->end = 0x12000;
	b->left = c;
	b->right = a;
	CHECK(vma_check(&t) != 0); /* out of order */
	b->left = a;
	b->right = c;
	c->right = b;
	CHECK(vma_check(&t) != 0); /* a cycle still terminates */
	c->right = NULL;
	CHECK(vma_check(&t) == 0);

	/* A chain of three: heights are consistent, but it is not balanced. */
	x = node(0x10000, 0x11000);
	y = node(0x20000, 0x21000);
	z = node(0x30000, 0x31000);
	u.root = x;
	u.count = 3;
	x->right = y;
	y->parent = x;
	y->right = z;
	z->parent = y;
	x->height = 3;
	y->height = 2;
	z->height = 1;
	CHECK(vma_check(&u) != 0);
}

/* ---- randomized comparison against a plain array model ---- */

enum { WINDOW = 512 }; /* pages; addresses are 1..WINDOW pages */

struct model {
	struct vma *owner[WINDOW + 2]; /* the node covering each page, or NULL */
	struct vma *live[WINDOW + 2];  /* every node in the tree */
	int nlive;
};

static void model_set(struct model *m, struct vma *v)
{
	for (uint64 p = v->start / PG; p < v->end / PG; p++)
		m->owner[p] = v;
}

static void model_clear(struct model *m, const struct vma *v)
{
	for (uint64 p = v->start / PG; p < v->end / PG; p++)
		m->owner[p] = NULL;
}

static void model_drop_live(struct model *m, int i)
{
	m->live[i] = m->live[--m->nlive];
}

/* Highest page-aligned fit by brute force over the window. */
static uint64 model_gap(const struct model *m, uint64 lenp, uint64 lop, uint64 hip)
{
	if (lenp == 0 || hip < lenp)
		return 0;
	for (uint64 a = hip - lenp + 1; a-- > lop;) {
		uint64 p;

		for (p = a; p < a + lenp && !m->owner[p]; p++)
			;
		if (p == a + lenp)
			return a * PG;
		if (a == 0)
			break;
	}
	return 0;
}

static void test_random_stress(void)
{
	static struct model m;
	struct vma_tree t;
	int steps = 20000, bad = 0;

	memset(&m, 0, sizeof(m));
	vma_tree_init(&t);
	for (int step = 0; step < steps && bad < 10; step++) {
		uint64 op = rnd_below(100);

		if (op < 45 || m.nlive == 0) {
			uint64 sp = 1 + rnd_below(WINDOW - 1);
			uint64 ep = sp + 1 + rnd_below(12);
			int expect = 1;

			if (ep > WINDOW + 1)
				ep = WINDOW + 1;
			for (uint64 p = sp; p < ep; p++)
				if (m.owner[p])
					expect = 0;
			struct vma *v = node(sp * PG, ep * PG);
			int r = vma_insert(&t, v);
			if ((r == 0) != expect) {
				printf("#   step %d: insert [%#lx,%#lx) gave %d, model says %d\n",
				       step, (unsigned long)v->start, (unsigned long)v->end, r,
				       expect);
				bad++;
			}
			if (r == 0) {
				model_set(&m, v);
				m.live[m.nlive++] = v;
			}
		} else if (op < 80) {
			int i = (int)rnd_below((uint64_t)m.nlive);
			struct vma *v = m.live[i];

			vma_remove(&t, v);
			model_clear(&m, v);
			model_drop_live(&m, i);
		} else if (op < 90) {
			int i = (int)rnd_below((uint64_t)m.nlive);
			struct vma *v = m.live[i];
			uint64 np = (v->end - v->start) / PG;

			if (np >= 2) {
				struct vma *tail = node(0, 0);
				uint64 at = v->start + (1 + rnd_below(np - 1)) * PG;

				vma_split(&t, v, at, tail);
				if (v->end != at || tail->start != at) {
					printf("#   step %d: split failed\n", step);
					bad++;
				}
				model_set(&m, tail);
				m.live[m.nlive++] = tail;
			}
		} else {
			uint64 lenp = 1 + rnd_below(16);
			uint64 lop = 1 + rnd_below(WINDOW / 2);
			uint64 hip = lop + rnd_below(WINDOW + 1 - lop) + 1;
			uint64 got = vma_find_gap(&t, lenp * PG, lop * PG, hip * PG);
			uint64 want = model_gap(&m, lenp, lop, hip);

			if (got != want) {
				printf("#   step %d: find_gap(%lu, %lu, %lu) = %#lx, model %#lx\n",
				       step, (unsigned long)lenp, (unsigned long)lop,
				       (unsigned long)hip, (unsigned long)got, (unsigned long)want);
				bad++;
			}
		}

		if (vma_check(&t) != 0) {
			printf("#   step %d: vma_check = %d\n", step, vma_check(&t));
			bad++;
			break;
		}
		if (t.count != m.nlive) {
			printf("#   step %d: count %d, model %d\n", step, t.count, m.nlive);
			bad++;
		}
		/* Spot-check lookups, first_after and range_free against the model. */
		for (int k = 0; k < 4; k++) {
			uint64 p = rnd_below(WINDOW + 2);
			uint64 va = p * PG + rnd_below(PG);
			struct vma *want = m.owner[p], *after = NULL;
			uint64 q;

			for (q = p; q <= WINDOW && !m.owner[q]; q++)
				;
			after = q <= WINDOW ? m.owner[q] : NULL;
			if (vma_lookup(&t, va) != want || vma_first_after(&t, va) != after) {
				printf("#   step %d: lookup/first_after mismatch at %#lx\n", step,
				       (unsigned long)va);
				bad++;
			}
			uint64 ep = p + 1 + rnd_below(8);
			int free_want = 1;
			for (q = p; q < ep && q < WINDOW + 2; q++)
				if (m.owner[q])
					free_want = 0;
			if (vma_range_free(&t, p * PG, ep * PG) != free_want) {
				printf("#   step %d: range_free mismatch\n", step);
				bad++;
			}
		}
	}

	/* A final full walk must list exactly the model's pages in order. */
	uint64 covered = 0;
	for (struct vma *v = vma_first(&t), *prev = NULL; v; prev = v, v = vma_next(v)) {
		CHECK(!prev || prev->end <= v->start);
		CHECK(vma_prev(v) == prev);
		for (uint64 p = v->start / PG; p < v->end / PG; p++)
			CHECK(m.owner[p] == v);
		covered += (v->end - v->start) / PG;
	}
	uint64 model_pages = 0;
	for (int p = 0; p < WINDOW + 2; p++)
		model_pages += m.owner[p] != NULL;
	CHECK(covered == model_pages);
	CHECK(bad == 0);
}

static void test_ten_thousand(void)
{
	enum { N = 10000 };
	struct vma_tree t;
	static struct vma *v[N];
	static int order[N];
	int i;

	vma_tree_init(&t);
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		int j = (int)rnd_below((uint64_t)i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	/* VMA i covers pages [2i+16, 2i+17); the page after each is a hole. */
	for (i = 0; i < N; i++) {
		int k = order[i];

		v[k] = add(&t, (uint64)(2 * k + 16) * PG, (uint64)(2 * k + 17) * PG);
		REQUIRE(v[k]);
	}
	CHECK(t.count == N);
	CHECK(vma_check(&t) == 0);
	/* AVL height bound: 1.44 log2(n + 2), about 19 for ten thousand nodes. */
	CHECK(t.root && t.root->height <= 19);

	int bad = 0;
	for (i = 0; i < N; i++) {
		uint64 s = (uint64)(2 * i + 16) * PG;

		if (vma_lookup(&t, s) != v[i] || vma_lookup(&t, s + PG - 1) != v[i] ||
		    vma_lookup(&t, s + PG) != NULL ||
		    vma_first_after(&t, s + PG) != (i + 1 < N ? v[i + 1] : NULL))
			bad++;
	}
	CHECK(bad == 0);

	/* A gap search must still find the highest hole, and sequential walk sees all. */
	CHECK(vma_find_gap(&t, PG, PG, (uint64)(2 * N + 16) * PG) == (uint64)(2 * N + 14 + 1) * PG);
	CHECK(vma_find_gap(&t, 2 * PG, 16 * PG, (uint64)(2 * N + 16) * PG) == 0);
	i = 0;
	for (struct vma *x = vma_first(&t); x; x = vma_next(x))
		i++;
	CHECK(i == N);

	/* Tear down in random order, checking the invariants along the way. */
	for (i = 0; i < N; i++) {
		vma_remove(&t, v[order[(i * 7919) % N]]);
		if (i % 500 == 0)
			CHECK(vma_check(&t) == 0);
	}
	CHECK(t.count == 0 && t.root == NULL);
	CHECK(vma_check(&t) == 0);
}

int main(void)
{
	run(test_empty, "empty tree");
	run(test_insert_lookup, "insert and lookup at boundaries");
	run(test_overlap_rejected, "every overlap shape rejected, adjacency allowed");
	run(test_bad_ranges, "empty, reversed and unaligned ranges rejected");
	run(test_remove, "remove (root, leaves, inner nodes)");
	run(test_iteration, "in-order iteration with next and prev");
	run(test_first_after, "vma_first_after");
	run(test_range_free, "vma_range_free");
	run(test_find_gap, "vma_find_gap: highest fit, lo/hi limits, no room");
	run(test_split, "vma_split: attributes, offsets, lookup, count");
	run(test_range_removal, "range removal by split and remove");
	run(test_mergeable, "vma_mergeable");
	run(test_check_detects, "vma_check detects corrupted trees");
	run(test_random_stress, "randomized operations against an array model");
	run(test_ten_thousand, "10,000 VMAs: insert, lookup, remove");
	printf("# %ld assertions evaluated\n", checks);
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
