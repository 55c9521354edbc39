"""A process's address space (struct aspace, src/mm/mm_internal.h), its VMA tree
(src/mm/vma.h) and the objects behind the regions; and `pagoda vmas`."""

from . import command, kmem, procs

# src/lib/abi/mman.h and src/mm/vma.h (macros, so not in the debug information).
PROT_READ, PROT_WRITE, PROT_EXEC = 0x1, 0x2, 0x4
VMA_SHARED, VMA_NOWRITE = 0x1, 0x2


class Vma:
    def __init__(self, va, v):
        self.va, self.v = va, v
        self.start, self.end = kmem.addr(v["start"]), kmem.addr(v["end"])
        self.prot, self.flags = int(v["prot"]), int(v["flags"])
        self.obj, self.off = kmem.addr(v["obj"]), kmem.addr(v["off"])
        kind = str(v["kind"])  # "VMA_TEXT": struct vma declares it as enum vma_kind
        self.kind = kind[4:].lower() if kind.startswith("VMA_") else kind

    @property
    def shared(self):
        return bool(self.flags & VMA_SHARED)

    def prot_string(self):
        return "".join(c if self.prot & bit else "-"
                       for c, bit in (("r", PROT_READ), ("w", PROT_WRITE), ("x", PROT_EXEC)))


def aspace_of(p):
    if p.aspace == 0:
        raise kmem.Error("%s has no address space (state %s)" % (p.label(), p.state))
    return kmem.value(p.aspace, "struct aspace")


def vmas(aspace):
    """The VMAs of an aspace in address order (an in-order walk of the AVL tree)."""
    tree = aspace["vmas"]
    count = int(tree["count"])
    out, stack, seen = [], [], set()
    node = kmem.addr(tree["root"])
    while stack or node:
        while node:
            if node in seen or len(seen) > count:
                raise kmem.Error("the VMA tree is corrupt (a cycle, or more nodes than its "
                                 "count of %d)" % count)
            seen.add(node)
            v = kmem.value(node, "struct vma")
            stack.append((node, v))
            node = kmem.addr(v["left"])
        va, v = stack.pop()
        out.append(Vma(va, v))
        node = kmem.addr(v["right"])
    return out


def lookup(aspace, va):
    return next((v for v in vmas(aspace) if v.start <= va < v.end), None)


def describe_object(obj):
    """What backs a region, e.g. "inode 7" or "anon-shared 64 KiB"."""
    o = kmem.value(obj, "struct vmobj")
    ops = kmem.addr(o["ops"])
    pager = kmem.cstring(kmem.addr(kmem.value(ops, "struct pager_ops")["name"])) if ops else "?"
    data = kmem.addr(o["data"])
    if pager == "inode" and data:
        return "inode %d" % int(kmem.value(data, "struct inode")["inum"])
    if pager == "anon-shared":
        return "anon-shared %d KiB" % (data // 1024)  # the pager keeps the size in data
    return pager


def backing(v):
    if v.obj == 0:
        return "anonymous (zero fill)"
    return "obj 0x%x %s +0x%x" % (v.obj, describe_object(v.obj), v.off)


class Vmas(command.Subcommand):
    """List the VMAs of a process: range, prot, sharing, kind, backing object and offset.

Usage: pagoda vmas [PID]
Without PID: the process on the selected hart."""

    name = "vmas"
    usage = "pagoda vmas [PID]"

    def run(self, argv):
        self.want(argv, 0, 1)
        which = procs.from_args(argv)
        with kmem.kernel_view():
            p = which()
            aspace = aspace_of(p)
            regions = vmas(aspace)
            print("%s: %d VMAs, heap 0x%x..0x%x" % (
                p.label(), len(regions), kmem.addr(aspace["heap_start"]),
                kmem.addr(aspace["brk"])))
            print("%-18s %-18s %-4s %-8s %-6s %s" % ("START", "END", "PROT", "SHARING",
                                                     "KIND", "BACKING"))
            for v in regions:
                sharing = "shared" if v.shared else "private"
                if v.flags & VMA_NOWRITE:
                    sharing += ",nowrite"
                print("0x%016x 0x%016x %-4s %-8s %-6s %s" % (
                    v.start, v.end, v.prot_string(), sharing, v.kind, backing(v)))
