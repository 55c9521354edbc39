"""Sv39 page-table walking in software, as src/arch/riscv/pmap.c and pte.h define it.

Pure logic: the caller passes a function that reads a 64-bit word at a physical address,
so the same walk serves `pagoda pte` (a process's tree) and kmem (the kernel's tree).
"""

PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_G, PTE_A, PTE_D = (1 << i for i in range(8))
PTE_LEAF = PTE_R | PTE_W | PTE_X
FLAG_NAMES = "VRWXUGAD"  # bit 0 first, as in pte.h


def pte_pa(pte):
    return (pte >> 10) << 12


def index(level, va):
    return (va >> (12 + 9 * level)) & 0x1FF


def flags(pte):
    """The eight flag bits as a fixed-width string, e.g. "V R - X U - A -"."""
    return " ".join(c if pte & (1 << i) else "-" for i, c in enumerate(FLAG_NAMES))


def canonical(va):
    """Sv39 addresses are 39 bits, sign-extended: bits 63..38 all equal."""
    top = va >> 38
    return top == 0 or top == (1 << 26) - 1


class Step:
    """One level of a walk: the entry read and where it was."""

    def __init__(self, level, idx, entry_pa, pte):
        self.level, self.index, self.entry_pa, self.pte = level, idx, entry_pa, pte

    @property
    def valid(self):
        return bool(self.pte & PTE_V)

    @property
    def leaf(self):
        return self.valid and bool(self.pte & PTE_LEAF)


def walk(root_pa, va, read_u64):
    """The steps from the root to the leaf for va (or to the first invalid entry)."""
    steps = []
    table = root_pa
    for level in (2, 1, 0):
        idx = index(level, va)
        entry_pa = table + 8 * idx
        step = Step(level, idx, entry_pa, read_u64(entry_pa))
        steps.append(step)
        if not step.valid or step.leaf:
            break
        table = pte_pa(step.pte)
    return steps


def leaf_pa(steps, va):
    """The physical address va translates to, or None; a leaf above level 0 is a
    superpage, which covers 2^(12 + 9*level) bytes."""
    last = steps[-1]
    if not last.leaf:
        return None
    span = 1 << (12 + 9 * last.level)
    return (pte_pa(last.pte) & ~(span - 1)) | (va & (span - 1))


def translate(root_pa, va, read_u64):
    return leaf_pa(walk(root_pa, va, read_u64), va)
