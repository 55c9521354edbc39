/*
 * vma.c: the VMA tree of one address space, an AVL tree ordered by start address.
 *
 * Because VMAs never overlap, ordering by start also orders them by end, so every query
 * ("which VMA holds va", "which is the first one ending above va") is a single descent.
 * Nodes carry parent pointers so that walking to the next or previous VMA needs no stack;
 * a full in-order walk with vma_next costs O(n) in total.
 *
 * Nothing here allocates or takes locks: callers own the nodes, and the owning struct
 * aspace's lock serialises every call on one tree (see vma.h). The same file is built into
 * the kernel and into the host unit test, so it uses no library functions at all.
 */
#include "mm/vma.h"

#ifdef PAGODA_HOSTTEST
#include <stddef.h>
#endif

/* Private copy of the page size, so the host test needs no kernel header beyond vma.h. */
#define VMA_PGSIZE 4096UL
#define VMA_PGMASK (VMA_PGSIZE - 1)

static bool page_aligned(uint64 a)
{
	return (a & VMA_PGMASK) == 0;
}

static int height(const struct vma *n)
{
	return n ? n->height : 0;
}

static void update_height(struct vma *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = 1 + (l > r ? l : r);
}

/* Makes parent (or the root, if parent is NULL) point at new where it pointed at old. */
static void replace_child(struct vma_tree *t, struct vma *parent, struct vma *old, struct vma *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

static struct vma *rotate_left(struct vma_tree *t, struct vma *x)
{
	struct vma *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

static struct vma *rotate_right(struct vma_tree *t, struct vma *x)
{
	struct vma *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

/*
 * Restores heights and balance on the path from n to the root after a single insert or
 * remove below n. Walking the whole path (rather than stopping early) keeps the code short;
 * the path is only O(log n) long.
 */
static void rebalance(struct vma_tree *t, struct vma *n)
{
	while (n) {
		int bf;

		update_height(n);
		bf = height(n->left) - height(n->right);
		if (bf > 1) {
			/* A left-right shape needs its child turned first, or one rotation
			 * would merely mirror the imbalance. */
			if (height(n->left->left) < height(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (bf < -1) {
			if (height(n->right->right) < height(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		}
		n = n->parent;
	}
}

static struct vma *leftmost(struct vma *n)
{
	while (n && n->left)
		n = n->left;
	return n;
}

static struct vma *rightmost(struct vma *n)
{
	while (n && n->right)
		n = n->right;
	return n;
}

void vma_tree_init(struct vma_tree *t)
{
	t->root = NULL;
	t->count = 0;
}

struct vma *vma_first_after(const struct vma_tree *t, uint64 va)
{
	struct vma *n = t->root, *best = NULL;

	/* Ends increase with starts, so this is a plain lower-bound search on end. */
	while (n) {
		if (n->end > va) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

int vma_insert(struct vma_tree *t, struct vma *v)
{
	struct vma *parent = NULL, **link = &t->root, *next;

	if (!v || v->start >= v->end || !page_aligned(v->start) || !page_aligned(v->end))
		return -1;
	next = vma_first_after(t, v->start);
	if (next && next->start < v->end)
		return -1;

	while (*link) {
		parent = *link;
		link = v->start < parent->start ? &parent->left : &parent->right;
	}
	v->left = v->right = NULL;
	v->parent = parent;
	v->height = 1;
	*link = v;
	t->count++;
	rebalance(t, parent);
	return 0;
}

void vma_remove(struct vma_tree *t, struct vma *v)
{
	struct vma *fix;

	if (v->left && v->right) {
		/* The successor s has no left child; it takes v's place in the tree. Nodes
		 * belong to callers, so we relink s rather than copying its fields into v. */
		struct vma *s = leftmost(v->right);

		if (s->parent == v) {
			fix = s;
		} else {
			fix = s->parent;
			fix->left = s->right;
			if (s->right)
				s->right->parent = fix;
			s->right = v->right;
			v->right->parent = s;
		}
		s->left = v->left;
		v->left->parent = s;
		replace_child(t, v->parent, v, s);
	} else {
		struct vma *child = v->left ? v->left : v->right;

		fix = v->parent;
		replace_child(t, fix, v, child);
	}
	t->count--;
	v->left = v->right = v->parent = NULL;
	v->height = 0;
	rebalance(t, fix);
}

struct vma *vma_lookup(const struct vma_tree *t, uint64 va)
{
	struct vma *n = t->root;

	while (n) {
		if (va < n->start)
			n = n->left;
		else if (va >= n->end)
			n = n->right;
		else
			return n;
	}
	return NULL;
}

struct vma *vma_first(const struct vma_tree *t)
{
	return leftmost(t->root);
}

struct vma *vma_next(const struct vma *v)
{
	const struct vma *n = v;

	if (n->right)
		return leftmost(n->right);
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

struct vma *vma_prev(const struct vma *v)
{
	const struct vma *n = v;

	if (n->left)
		return rightmost(n->left);
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

bool vma_range_free(const struct vma_tree *t, uint64 start, uint64 end)
{
	struct vma *v;

	if (start >= end)
		return true;
	v = vma_first_after(t, start);
	return !v || v->start >= end;
}

/* The VMA with the highest start below va, or NULL. */
static struct vma *last_below(const struct vma_tree *t, uint64 va)
{
	struct vma *n = t->root, *best = NULL;

	while (n) {
		if (n->start < va) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

uint64 vma_find_gap(const struct vma_tree *t, uint64 len, uint64 lo, uint64 hi)
{
	uint64 a;
	struct vma *v;

	if (len == 0 || hi < len)
		return 0;
	/* Candidates are page-aligned, so comparing them with an unaligned lo is the same
	 * as rounding lo up first, without the risk of wrapping past the top. */
	a = (hi - len) & ~VMA_PGMASK;

	/*
	 * Slide the candidate [a, a+len) downwards: v is always the highest VMA that starts
	 * below a+len, the only one that can collide with the candidate, because every lower
	 * VMA ends at or before v->start.
	 */
	v = last_below(t, a + len);
	while (a >= lo) {
		if (!v || v->end <= a)
			return a;
		if (v->start < len)
			return 0;
		a = (v->start - len) & ~VMA_PGMASK;
		while (v && v->start >= a + len)
			v = vma_prev(v);
	}
	return 0;
}

void vma_split(struct vma_tree *t, struct vma *v, uint64 addr, struct vma *tail)
{
	/* The contract says callers never do this; refuse rather than corrupt the tree. */
	if (addr <= v->start || addr >= v->end || !page_aligned(addr))
		return;

	tail->start = addr;
	tail->end = v->end;
	tail->prot = v->prot;
	tail->flags = v->flags;
	tail->kind = v->kind;
	tail->obj = v->obj;
	tail->off = v->off + (addr - v->start);

	/* v's start (its key) is unchanged, so shrinking it in place keeps the order, and
	 * the space it gives up is exactly where tail goes, so the insert cannot fail. */
	v->end = addr;
	vma_insert(t, tail);
}

bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start)
		return false;
	if (a->prot != b->prot || a->flags != b->flags || a->kind != b->kind || a->obj != b->obj)
		return false;
	return a->obj == NULL || b->off == a->off + (a->end - a->start);
}

struct check_state {
	const struct vma *prev; /* last node visited in order */
	int seen;
	int limit;
};

/*
 * Verifies the subtree at n (whose parent must be parent) and returns its height, or a
 * negative error code. The node count is bounded so a corrupted, cyclic tree still ends.
 */
static int check_node(const struct vma *n, const struct vma *parent, struct check_state *st)
{
	int hl, hr, h;

	if (!n)
		return 0;
	if (++st->seen > st->limit)
		return -1;
	if (n->parent != parent)
		return -2;
	hl = check_node(n->left, n, st);
	if (hl < 0)
		return hl;

	if (n->start >= n->end || !page_aligned(n->start) || !page_aligned(n->end))
		return -3;
	if (st->prev && st->prev->end > n->start)
		return -4;
	st->prev = n;

	hr = check_node(n->right, n, st);
	if (hr < 0)
		return hr;
	h = 1 + (hl > hr ? hl : hr);
	if (n->height != h)
		return -5;
	if (hl - hr > 1 || hr - hl > 1)
		return -6;
	return h;
}

int vma_check(const struct vma_tree *t)
{
	struct check_state st = {NULL, 0, t->count};
	int r;

	if (t->count < 0)
		return -7;
	r = check_node(t->root, NULL, &st);
	if (r < 0)
		return r;
	if (st.seen != t->count)
		return -8;
	return 0;
}
