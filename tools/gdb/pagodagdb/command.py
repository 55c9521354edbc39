"""The `pagoda` prefix command and what every subcommand shares: argument parsing and
one-line errors that name the command."""

import gdb

from . import kmem


class Pagoda(gdb.Command):
    """Show Pagoda's processes and virtual memory in the running kernel.

Subcommands: ps, vmas, pte, pcache, user, ubreak. `help pagoda SUBCOMMAND` says more.
Commands that take a pid default to the process on the selected hart (`info threads`:
thread N is hart N-1)."""

    def __init__(self):
        super().__init__("pagoda", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class Subcommand(gdb.Command):
    """Base of `pagoda NAME`: run(argv) raises kmem.Error for anything the user got wrong."""

    name = None
    usage = None  # e.g. "pagoda vmas [PID]"; shown when the arguments do not fit

    def __init__(self):
        super().__init__("pagoda " + self.name, gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        try:
            self.run(gdb.string_to_argv(arg))
        except kmem.Error as e:
            raise gdb.GdbError("pagoda %s: %s" % (self.name, e)) from None

    def run(self, argv):
        raise NotImplementedError

    def want(self, argv, lo, hi):
        if not lo <= len(argv) <= hi:
            raise kmem.Error("usage: " + self.usage)


def evaluate(text, what):
    """A gdb expression (a number, a variable such as va, $sp) as an unsigned int.

    Call it before entering kmem.kernel_view(): gdb reads the variable's memory itself."""
    try:
        v = gdb.parse_and_eval(text)
        if v.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY and v.address is not None:
            v = v.address  # an array names its first byte, as in C
        return kmem.addr(v)
    except gdb.error as e:
        raise kmem.Error("'%s' is not %s (%s)" % (text, what, e)) from None


def parse_pid(text):
    try:
        pid = int(text, 0)
    except ValueError:
        pid = evaluate(text, "a pid")
        if pid >= 1 << 31:
            raise kmem.Error("'%s' is not a pid" % text) from None
    if pid <= 0:
        raise kmem.Error("'%s' is not a pid (pids start at 1)" % text)
    return pid
