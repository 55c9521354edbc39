"""`pagoda pcache`: the page cache of src/mm/vmobj.c, object by object.

The cache is a hash table of struct page (keyed by object and page offset); each object
also links its own cached pages through onext. A cached page has no dirty bit of its
own: it is dirty when a MAP_SHARED mapping of it has the hardware D bit set in its PTE,
which is what msync and munmap test and clear (writeback_range in mmap.c). So this walks
every process's shared mappings of each object to find them.
"""

from . import command, kmem, procs, pte, sv39, vmas

MAX_CHAIN = 1 << 20  # more pages than any RAM Pagoda runs in: the list must be corrupt


def frame_finder():
    """page_to_pa() of page.c, as a function of a struct page address."""
    pages = kmem.u64(kmem.symbol_address("pages", "mm/page.c"))
    # page.c's base_pa is always RAM_BASE_PA, so clang keeps it as a one-byte flag that
    # only the debug information's expression turns back into the address: use the constant.
    base_pa = kmem.RAM_BASE_PA
    size = kmem.kernel_type("struct page").sizeof
    return lambda pg: base_pa + (pg - pages) // size * kmem.PGSIZE


def _chain(first, link):
    pg, n = first, 0
    while pg:
        n += 1
        if n > MAX_CHAIN:
            raise kmem.Error("a page-cache list does not end: it is corrupt")
        v = kmem.value(pg, "struct page")
        yield pg, v
        pg = kmem.addr(v[link])


def cached_objects():
    """The objects that have pages in the cache, found from the hash table, in the order
    first seen."""
    table = kmem.symbol_address("hash", "mm/vmobj.c")
    buckets = kmem.symbol_type("hash", "mm/vmobj.c").sizeof // 8
    raw = kmem.read(table, 8 * buckets)
    objs = []
    for b in range(buckets):
        for _, v in _chain(int.from_bytes(raw[8 * b:8 * b + 8], "little"), "hnext"):
            obj = kmem.addr(v["obj"])
            if obj not in objs:
                objs.append(obj)
    return objs


def mappings(objs, page_pa):
    """{(obj, page offset): [(pid, dirty), ...]} for every PTE that maps a cached page."""
    out = {}
    cache_pages = {}
    for p in procs.procs():
        if p.aspace == 0:
            continue
        root, aspace = pte.root_pa(p)
        for v in vmas.vmas(aspace):
            if v.obj not in objs:
                continue
            if v.obj not in cache_pages:
                cache_pages[v.obj] = [(int(pv["pgoff"]), page_pa(pg)) for pg, pv in
                                      _chain(kmem.addr(kmem.value(v.obj, "struct vmobj")["pages"]),
                                             "onext")]
            for pgoff, pa in cache_pages[v.obj]:
                off = pgoff * kmem.PGSIZE
                if not v.off <= off < v.off + (v.end - v.start):
                    continue
                va = v.start + off - v.off
                steps = sv39.walk(root, va, kmem.phys_u64)
                if sv39.leaf_pa(steps, va) != pa:
                    continue  # not touched yet, or a private copy
                dirty = v.shared and bool(steps[-1].pte & sv39.PTE_D)
                out.setdefault((v.obj, pgoff), []).append((p.pid, dirty))
    return out


class Pcache(command.Subcommand):
    """Show the page cache: per object, which page offsets are cached and dirty.

Each cached page shows its frame, its reference count, the processes that map it, and
whether it is dirty: a shared mapping's PTE has D set, so msync or munmap will write the
page back.

Usage: pagoda pcache"""

    name = "pcache"
    usage = "pagoda pcache"

    def run(self, argv):
        self.want(argv, 0, 0)
        with kmem.kernel_view():
            objs = cached_objects()
            if not objs:
                print("the page cache is empty")
                return
            page_pa = frame_finder()
            mapped = mappings(objs, page_pa)
            for obj in objs:
                o = kmem.value(obj, "struct vmobj")
                pages = sorted((int(v["pgoff"]), pg, v) for pg, v in
                               _chain(kmem.addr(o["pages"]), "onext"))
                print("obj 0x%x %s: %d refs, %d pages cached%s" % (
                    obj, vmas.describe_object(obj), int(o["refcnt"]), len(pages),
                    "" if len(pages) == int(o["npages"]) else
                    " (but npages says %d)" % int(o["npages"])))
                for pgoff, pg, v in pages:
                    users = mapped.get((obj, pgoff), [])
                    dirty = [pid for pid, d in users if d]
                    print("  offset 0x%06x  pa 0x%x  refs %-3d %-8s mapped by %s" % (
                        pgoff * kmem.PGSIZE, page_pa(pg), int(v["refcnt"]),
                        "dirty" if dirty else "clean",
                        ", ".join("%d%s" % (pid, "(D)" if d else "") for pid, d in users)
                        or "none"))
