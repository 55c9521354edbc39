"""`pagoda pte`: one virtual address through a process's Sv39 tree, level by level.

The walk reads the tables the way pmap.c does, through the direct map, from the root
in the process's struct pmap (src/arch/riscv/pmap.c), not from the satp of whatever hart
is stopped: so it works for a process that is not running, too.
"""

from . import command, kmem, procs, sv39, vmas


def root_pa(p):
    aspace = vmas.aspace_of(p)
    pmap = kmem.addr(aspace["pmap"])
    if pmap == 0:
        raise kmem.Error("%s has no pmap" % p.label())
    root = kmem.addr(kmem.value(pmap, "struct pmap")["root"])
    return root - kmem.KERNBASE, aspace


class Pte(command.Subcommand):
    """Walk the Sv39 page table of a process for one virtual address.

Usage: pagoda pte VA [PID]
VA is any gdb expression: 0x10000, va (at the vm_fault breakpoint), $sp. Each level
prints its index, the PTE and where it sits, the physical address it points at, and its
flags V R W X U G A D (a dash where a bit is clear). Without PID: the process on the
selected hart."""

    name = "pte"
    usage = "pagoda pte VA [PID]"

    def run(self, argv):
        self.want(argv, 1, 2)
        va = command.evaluate(argv[0], "an address")
        if not sv39.canonical(va):
            raise kmem.Error("0x%x is not an Sv39 address (user space is 0..0x%x, the kernel "
                             "is above 0x%x)" % (va, kmem.USER_TOP, kmem.KERNBASE))
        which = procs.from_args(argv[1:])
        with kmem.kernel_view():
            p = which()
            root, aspace = root_pa(p)
            region = vmas.lookup(aspace, va) if va < kmem.USER_TOP else None
            print("%s, va 0x%x, root table at pa 0x%x" % (p.label(), va, root))
            if va < kmem.USER_TOP:
                print("  in VMA %s" % ("0x%x-0x%x %s %s" % (
                    region.start, region.end, region.prot_string(), region.kind)
                                       if region else "none"))
            steps = sv39.walk(root, va, kmem.phys_u64)
            for s in steps:
                if not s.valid:
                    what = "not valid"
                elif s.leaf:
                    what = "page    pa 0x%x" % sv39.pte_pa(s.pte)
                else:
                    what = "table   pa 0x%x" % sv39.pte_pa(s.pte)
                print("  L%d[%3d] pte 0x%016x at pa 0x%x  %-20s %s" % (
                    s.level, s.index, s.pte, s.entry_pa, what, sv39.flags(s.pte)))
            pa = sv39.leaf_pa(steps, va)
            if pa is None:
                lazy = region and region.kind != "guard" and region.prot
                print("va 0x%x is not mapped (level %d has no valid entry)%s" % (
                    va, steps[-1].level,
                    ": not resident yet, the first allowed access faults it in" if lazy else ""))
            else:
                print("va 0x%x -> pa 0x%x" % (va, pa))
