"""The process table and the harts (src/proc/proc.h), and `pagoda ps`.

The kernel finds the current process as cpus[hart].proc, with the hart id in tp
(cpuid()/mycpu() in proc.c). That holds in supervisor mode only: in user mode tp is the
program's, and the hart id waits in the trapframe (kernel_tp), which sscratch points at
while a process runs in user mode (trapvec.S). So the hart is found the same two ways.
"""

import gdb

from . import command, kmem

PRV_USER, PRV_SUPERVISOR, PRV_MACHINE = 0, 1, 3


class Proc:
    """One slot of proc_table: its kernel address and its contents."""

    def __init__(self, va, v):
        self.va, self.v = va, v
        self.pid = int(v["pid"])
        self.state = str(v["state"])
        self.name = kmem.array_string(v["name"])
        self.aspace = kmem.addr(v["as"])

    def label(self):
        return "pid %d (%s)" % (self.pid, self.name)


def _array(symbol, type_name):
    """Every element of a kernel array as (address, gdb.Value), read in one go."""
    base = kmem.symbol_address(symbol)
    t = kmem.kernel_type(type_name)
    count = kmem.symbol_type(symbol).sizeof // t.sizeof
    raw = kmem.read(base, t.sizeof * count)
    return [(base + i * t.sizeof, gdb.Value(raw[i * t.sizeof:(i + 1) * t.sizeof], t))
            for i in range(count)]


def cpus():
    """(address, struct cpu value) per hart slot."""
    return _array("cpus", "struct cpu")


def procs():
    """Every process-table slot that is in use."""
    return [Proc(va, v) for va, v in _array("proc_table", "struct proc")
            if str(v["state"]) != "UNUSED"]


def running_on():
    """{process address: hart} for every hart running a process."""
    return {kmem.addr(c["proc"]): hart for hart, (_, c) in enumerate(cpus())
            if kmem.addr(c["proc"])}


def current_hart():
    """The hart id of the hart gdb has selected, found the way the kernel finds it."""
    priv = kmem.register("priv")
    pc = kmem.register("pc")
    if priv == PRV_MACHINE:
        raise kmem.Error("this hart is in OpenSBI (machine mode), not in Pagoda: "
                         "continue to a kernel breakpoint, or give a pid")
    in_user = priv == PRV_USER if priv is not None else pc < kmem.USER_TOP
    if in_user:
        tf = kmem.register("sscratch")
        if not tf:
            raise kmem.Error("in user mode but sscratch is %s: cannot find the trapframe"
                             % ("unreadable" if tf is None else "0"))
        hart = kmem.u64(tf + kmem.field_offset("struct trapframe", "kernel_tp"))
    else:
        hart = kmem.register("tp")
    if hart is None or not 0 <= hart < len(cpus()):
        raise kmem.Error("cannot tell which hart this is (tp = %s): the kernel has not set it "
                         "up yet; give a pid" % (hex(hart) if hart is not None else "?"))
    return hart


def current():
    """The process on the selected hart."""
    hart = current_hart()
    pva = kmem.addr(cpus()[hart][1]["proc"])
    if pva == 0:
        raise kmem.Error("hart %d is running no process (it is in its scheduler); give a pid"
                         % hart)
    return Proc(pva, kmem.value(pva, "struct proc"))


def find(pid):
    """The live process with this pid, or a one-line error."""
    for p in procs():
        if p.pid == pid:
            return p
    raise kmem.Error("no process with pid %d (pagoda ps lists them)" % pid)


def from_args(argv):
    """The process a command's optional PID argument names (parse before kernel_view)."""
    pid = command.parse_pid(argv[0]) if argv else None
    return lambda: find(pid) if pid is not None else current()


class Ps(command.Subcommand):
    """List the processes: pid, state, name, parent, and the hart running it.

Usage: pagoda ps
The process on the selected hart is marked with *."""

    name = "ps"
    usage = "pagoda ps"

    def run(self, argv):
        self.want(argv, 0, 0)
        with kmem.kernel_view():
            table = procs()
            harts = running_on()
            try:
                here = current().va
            except kmem.Error:
                here = None
            parents = {p.va: p.pid for p in table}
            print("  %-5s %-9s %-4s %-6s %s" % ("PID", "STATE", "HART", "PARENT", "NAME"))
            for p in table:
                hart = harts.get(p.va)
                parent = parents.get(kmem.addr(p.v["parent"]))
                print("%s %-5d %-9s %-4s %-6s %s" % (
                    "*" if p.va == here else " ", p.pid, p.state,
                    "" if hart is None else str(hart),
                    "-" if parent is None else str(parent), p.name))
