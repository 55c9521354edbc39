"""Reading kernel memory from gdb, whatever mode the stopped hart is in.

gdb reads memory through the selected hart's MMU. Stopped in the kernel that reaches
everything, but stopped in user mode the kernel half of the page table has no U bit and
every kernel read fails. So while a command runs, QEMU's gdb stub is switched to physical
addresses (the Qqemu.PhyMemMode packet) and this module translates kernel addresses
itself, the way the kernel does: a direct-map address is KERNBASE + pa, and anything else
in the upper half (the kernel stacks) is found by walking kernel_root in software.

Kernel structures are read as raw bytes and turned into gdb.Values of the kernel's own
types, so fields keep their names and enums print as names. Pointers inside them are
plain kernel addresses: read them again through here, never dereference them with gdb.
"""

import contextlib

import gdb

from . import sv39

# src/arch/riscv/memlayout.h and kmap.c (which maps RAM up to 16 GiB).
KERNBASE = 0xFFFFFFC000000000
DIRECT_MAP_END = KERNBASE + (16 << 30)
USER_TOP = 0x4000000000
RAM_BASE_PA = 0x80000000
PGSIZE = 4096
MASK64 = (1 << 64) - 1


class Error(gdb.GdbError):
    """A one-line message for the user; gdb prints it without a Python traceback."""


_depth = 0         # nesting of kernel_view() blocks
_physical = False  # the stub reads physical addresses now
_registers = {}    # the registers commands use, read before switching to physical
REGISTERS = ("pc", "tp", "sscratch", "priv")


def _stub_mode(on):
    """Switches QEMU's stub to physical (True) or virtual addresses; False if refused."""
    out = gdb.execute("maint packet Qqemu.PhyMemMode:%d" % (1 if on else 0), to_string=True)
    return 'received: "OK"' in out


def check_attached():
    if gdb.selected_thread() is None:
        raise Error("not attached to QEMU: run `target remote localhost:PORT` first "
                    "(ninja -C build qemu-gdb prints the command)")


@contextlib.contextmanager
def kernel_view():
    """Everything read inside this block goes through the kernel's own translation.

    Evaluate gdb expressions (a local variable, $sp) before entering: inside, gdb's own
    reads of the stack or of globals would be taken as physical addresses.
    """
    global _depth, _physical, _registers
    check_attached()
    if _depth == 0:
        # Read every register now: gdb may read stack memory to build the frame a register
        # belongs to, and in physical mode it would read (and cache) the wrong bytes.
        _registers = {r: _read_register(r) for r in REGISTERS}
        try:
            _physical = _stub_mode(True)
        except gdb.error:
            _physical = False  # not QEMU: virtual reads, which work while in the kernel
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _physical:
            _physical = False
            _stub_mode(False)


def _read_phys(pa, n):
    try:
        return bytes(gdb.selected_inferior().read_memory(pa, n))
    except gdb.MemoryError:
        raise Error("cannot read physical memory at 0x%x" % pa) from None


def read_phys(pa, n):
    """n bytes at physical address pa (only inside kernel_view)."""
    if not _physical:
        return read(pa + KERNBASE, n)  # the direct map, read virtually
    return _read_phys(pa, n)


def phys_u64(pa):
    return int.from_bytes(read_phys(pa, 8), "little")


def kernel_root_pa():
    root_va = int.from_bytes(read(symbol_address("kernel_root"), 8), "little")
    if not KERNBASE <= root_va < DIRECT_MAP_END:
        raise Error("kernel_root is not set yet (the kernel has not reached pmap_bootstrap)")
    return root_va - KERNBASE


def kva_to_pa(va):
    """The physical address behind kernel virtual address va."""
    if KERNBASE <= va < DIRECT_MAP_END:
        return va - KERNBASE
    leaf = sv39.translate(kernel_root_pa(), va, phys_u64)
    if leaf is None:
        raise Error("kernel address 0x%x is not mapped" % va)
    return leaf


def read(va, n):
    """n bytes at kernel virtual address va."""
    va &= MASK64
    if va < KERNBASE:
        raise Error("0x%x is not a kernel address" % va)
    if not _physical:
        try:
            return bytes(gdb.selected_inferior().read_memory(va, n))
        except gdb.MemoryError:
            raise Error("cannot read kernel memory at 0x%x" % va) from None
    out = b""
    while n > 0:
        # Outside the direct map consecutive pages need not be consecutive frames.
        chunk = n if va < DIRECT_MAP_END else min(n, PGSIZE - va % PGSIZE)
        out += _read_phys(kva_to_pa(va), chunk)
        va, n = va + chunk, n - chunk
    return out


def u64(va):
    return int.from_bytes(read(va, 8), "little")


def value(va, type_name):
    """The kernel object of type type_name at va, as a gdb.Value."""
    t = kernel_type(type_name)
    return gdb.Value(read(va, t.sizeof), t)


def cstring(va, limit=64):
    if va == 0:
        return ""
    raw = read(va, limit)
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def array_string(v):
    """A char array field of a gdb.Value, up to its NUL."""
    raw = bytes(int(v[i]) & 0xFF for i in range(v.type.sizeof))
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def addr(v):
    """A pointer (or integer) gdb.Value as an unsigned Python int."""
    return int(v) & MASK64


def kernel_type(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        raise Error("no type %s: load the kernel's symbols (build/pagoda.elf)" % name) from None


def _symbol(name, file_suffix):
    if file_suffix is None:
        sym = gdb.lookup_global_symbol(name)
    else:
        sym = next((s for s in gdb.lookup_static_symbols(name)
                    if s.symtab and s.symtab.filename.endswith(file_suffix)), None)
    if sym is None:
        raise Error("no kernel symbol %s: load the kernel's symbols (build/pagoda.elf)" % name)
    return sym


def symbol_address(name, file_suffix=None):
    """Address of a kernel global, or of a static in the file whose path ends file_suffix."""
    where = _symbol(name, file_suffix).value().address
    if where is None:
        raise Error("kernel symbol %s has no address of its own (the compiler folded it)"
                    % name)
    return addr(where)


def symbol_type(name, file_suffix=None):
    return _symbol(name, file_suffix).type


def register(name):
    """A register of the selected hart, as an unsigned int (None if the stub has none)."""
    if _depth > 0:
        return _registers[name]
    return _read_register(name)


def _read_register(name):
    try:
        return addr(gdb.newest_frame().read_register(name))
    except (gdb.error, ValueError):
        return None


def field_offset(type_name, field):
    for f in kernel_type(type_name).fields():
        if f.name == field:
            return f.bitpos // 8
    raise Error("%s has no field %s" % (type_name, field))
