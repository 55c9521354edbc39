/*
 * exec: replace the calling process's image with an ELF64 program.
 *
 * A fresh address space is built beside the old one (so a bad file leaves the caller
 * untouched and exec returns -1). Nothing is read from the program file yet: each PT_LOAD
 * segment becomes a private file-backed VMA with the segment's permissions (pages come
 * from the file's page cache on first touch, so every process running a program shares
 * one copy of its text), an empty heap after the last segment, and a stack at the top of user space
 * that grows down on demand to USTACK_MAX, with an inaccessible guard page below that.
 * Every check that a bad file could fail happens before the old image is thrown away.
 */
#include "proc_internal.h"
#include "elf.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "fs/fs.h"

static int flags_to_prot(uint32 f)
{
	return ((f & PF_R) ? PROT_READ : 0) | ((f & PF_W) ? PROT_WRITE : 0) |
	       ((f & PF_X) ? PROT_EXEC : 0);
}

/*
 * Maps one PT_LOAD segment without reading it: the file part becomes a private, copy-on-
 * write view of the file's page cache, and the rest of memsz (bss) anonymous zero-fill
 * memory. Only the page where the file part ends mid-page is touched now, to zero the
 * bytes after it (they are bss, but the file page holds whatever follows the segment).
 * obj is the program file's object; zeros is a zero-filled page.
 */
static int map_segment(struct aspace *as, struct vmobj *obj, struct proghdr *ph, const char *zeros)
{
	uint64 start = PGROUNDDOWN(ph->vaddr);
	uint64 file_end = ph->vaddr + ph->filesz;
	uint64 mem_end = PGROUNDUP(ph->vaddr + ph->memsz);
	uint64 file_top = PGROUNDUP(file_end);
	int prot = flags_to_prot(ph->flags);
	enum vma_kind kind = (ph->flags & PF_X) ? VMA_TEXT : VMA_DATA;

	if (ph->filesz > 0) {
		if (as_map_object(as, start, file_top - start, prot, obj,
		                  ph->off - (ph->vaddr - start), kind) < 0)
			return -1;
		if (ph->memsz > ph->filesz && file_end < file_top &&
		    as_load(as, file_end, zeros, file_top - file_end) < 0)
			return -1;
	} else {
		file_top = start;
	}
	if (mem_end > file_top && as_map_anon(as, file_top, mem_end - file_top, prot, kind) < 0)
		return -1;
	return 0;
}

static int valid_segment(struct proghdr *ph, uint64 file_size)
{
	if (ph->memsz < ph->filesz)
		return 0;
	if (ph->vaddr + ph->memsz < ph->vaddr || ph->vaddr + ph->memsz > USTACK_TOP)
		return 0;
	if (ph->off + ph->filesz < ph->off || ph->off + ph->filesz > file_size)
		return 0;
	if (ph->vaddr < PGSIZE) /* keep page 0 unmapped so NULL dereferences fault */
		return 0;
	if (ph->vaddr % PGSIZE != ph->off % PGSIZE) /* file pages must map onto memory pages */
		return 0;
	return 1;
}

/* Builds the new image in as from ip (locked), whose object is obj; returns the entry
 * point, or 0 on any error. */
static uint64 load_image(struct aspace *as, struct inode *ip, struct vmobj *obj, uint64 *heap_base,
                         char *zeros)
{
	struct elfhdr eh;
	if (readi(ip, 0, (uint64)&eh, 0, sizeof(eh)) != sizeof(eh))
		return 0;
	if (eh.magic != ELF_MAGIC || eh.class != ELFCLASS64 || eh.machine != EM_RISCV ||
	    eh.type != ET_EXEC || eh.phentsize != sizeof(struct proghdr) || eh.phnum > 64)
		return 0;
	uint64 top = 0;
	int loaded = 0;
	for (int i = 0; i < eh.phnum; i++) {
		struct proghdr ph;
		uint64 off = eh.phoff + (uint64)i * sizeof(ph);
		if (off > ip->size ||
		    readi(ip, 0, (uint64)&ph, (uint)off, sizeof(ph)) != sizeof(ph))
			return 0;
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (!valid_segment(&ph, ip->size) || map_segment(as, obj, &ph, zeros) < 0)
			return 0;
		top = MAX(top, PGROUNDUP(ph.vaddr + ph.memsz));
		loaded++;
	}
	if (!loaded || eh.entry >= top)
		return 0;
	*heap_base = top;
	return eh.entry;
}

/* Pushes argv strings and the argv array onto the new stack; returns sp or 0. */
static uint64 push_args(struct aspace *as, char **argv, int *argc_out)
{
	uint64 sp = USTACK_TOP, ustack[MAXARG + 1];
	int argc = 0;
	for (; argv[argc]; argc++) {
		if (argc >= MAXARG)
			return 0;
		uint64 len = strlen(argv[argc]) + 1;
		sp = (sp - len) & ~15UL;
		if (as_copyout(as, sp, argv[argc], len) < 0)
			return 0;
		ustack[argc] = sp;
	}
	ustack[argc] = 0;
	sp = (sp - (argc + 1) * sizeof(uint64)) & ~15UL;
	if (as_copyout(as, sp, ustack, (argc + 1) * sizeof(uint64)) < 0)
		return 0;
	*argc_out = argc;
	return sp;
}

int kexec(char *path, char **argv)
{
	struct proc *p = myproc();
	struct aspace *as = NULL;
	char *zeros = page_alloc();
	if (!zeros)
		return -1;

	begin_op();
	struct inode *ip = namei(path);
	if (!ip) {
		end_op();
		page_free(zeros);
		return -1;
	}
	ilock(ip);
	uint64 heap_base = 0, entry = 0;
	/*
	 * exec holds its own reference to the program's object while it builds the image,
	 * and drops it only after unlocking: if no VMA took one (a bad file), the drop is the
	 * last and releases the inode, which needs the inode lock and a transaction itself.
	 */
	struct vmobj *obj = ip->type == T_FILE ? inode_vmobj(ip) : NULL;
	if (obj && (as = as_create()) != NULL)
		entry = load_image(as, ip, obj, &heap_base, zeros);
	iunlockput(ip);
	end_op();
	page_free(zeros);
	if (obj)
		vmobj_unref(obj);

	int argc = 0;
	uint64 sp = 0;
	if (!entry || heap_base >= USTACK_TOP - USTACK_MAX - PGSIZE ||
	    as_heap_init(as, heap_base) < 0 || as_stack_init(as) < 0 ||
	    (sp = push_args(as, argv, &argc)) == 0) {
		as_destroy(as);
		return -1;
	}

	/* Point of no return: switch to the new image and drop the old one. */
	acquire(&p->lock); /* proc_as_get reads p->as under it (docs/locking.md) */
	struct aspace *old = p->as;
	p->as = as;
	release(&p->lock);
	as_activate(as);
	as_trace_inherit(as, old, p->pid, 0);
	as_destroy(old);

	p->tf->epc = entry;
	p->tf->sp = sp;
	p->tf->a1 = sp; /* argv */
	char *last = path;
	for (char *s = path; *s; s++)
		if (*s == '/')
			last = s + 1;
	safestrcpy(p->name, last, sizeof(p->name));
	return argc; /* lands in a0: main(argc, argv) */
}
