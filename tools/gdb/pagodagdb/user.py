"""User programs at source level: `pagoda user` and `pagoda ubreak`.

Every program is linked at the same address (userland/user.ld), so gdb can hold the
symbols of only one of them at a time without confusing them, and a plain breakpoint in
a program's function fires in whichever program happens to run at that address. So
`pagoda user` keeps exactly one program's symbols loaded, and `pagoda ubreak` sets an
address breakpoint whose condition is the name of the process on the hart that hit it
(which exec sets to the program's file name, cut to 15 characters).
"""

import os
import re

import gdb

from . import command, kmem, procs

NAME_MAX = 15  # struct proc's name[16] keeps a NUL

_loaded = None  # (program, path) whose symbols are loaded now


class UserlandDir(gdb.Parameter):
    """Where the user program ELF files are (the build's userland directory).

Empty (the default): the userland directory next to the kernel ELF gdb was started with."""

    set_doc = "Set the directory holding the user program ELF files."
    show_doc = "Show the directory holding the user program ELF files."

    def __init__(self):
        super().__init__("pagoda-userland", gdb.COMMAND_FILES, gdb.PARAM_STRING)
        self.value = ""

    def get_show_string(self, value):
        return value or "(next to the kernel ELF) %s" % userland_dir(quiet=True)


_dir_param = None


def userland_dir(quiet=False):
    if _dir_param is not None and _dir_param.value:
        return os.path.expanduser(_dir_param.value)
    kernel = gdb.current_progspace().filename
    if not kernel:
        if quiet:
            return "?"
        raise kmem.Error("no kernel ELF loaded: start gdb with build/pagoda.elf, or "
                         "set pagoda-userland DIR")
    return os.path.join(os.path.dirname(os.path.abspath(kernel)), "userland")


def programs():
    """{name: path} of every user program ELF under the userland build directory (the
    test programs are in its tests/ subdirectory)."""
    top = userland_dir()
    if not os.path.isdir(top):
        raise kmem.Error("%s is not a directory: set pagoda-userland to your build's "
                         "userland directory" % top)
    found = {}
    for d, subdirs, files in os.walk(top):
        subdirs[:] = sorted(s for s in subdirs if not s.endswith(".p"))  # object files
        for n in sorted(files):
            path = os.path.join(d, n)
            if os.access(path, os.X_OK) and n not in found:
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        found[n] = path
    return found


def program_path(prog):
    found = programs()
    if prog not in found:
        raise kmem.Error("no user program '%s' in %s (there are: %s)" % (
            prog, userland_dir(), " ".join(sorted(found))))
    return found[prog]


def load(prog):
    """Make prog's symbols the loaded user symbols; a note if that changed anything."""
    global _loaded
    path = program_path(prog)
    if _loaded and _loaded[0] == prog:
        return False
    if _loaded:
        try:
            gdb.execute("remove-symbol-file %s" % _loaded[1], to_string=True)
        except gdb.error:
            pass  # already removed by hand
    gdb.execute("with confirm off -- add-symbol-file %s" % path, to_string=True)
    before = _loaded[0] if _loaded else None
    _loaded = (prog, path)
    print("pagoda: symbols of user program %s loaded%s" % (
        prog, " (instead of %s)" % before if before else ""))
    return True


def current_program():
    with kmem.kernel_view():
        return procs.current().name


def _objfile(path):
    real = os.path.realpath(path)
    return next((o for o in gdb.objfiles() if os.path.realpath(o.filename) == real), None)


def function_address(prog, func):
    """Where a breakpoint on func of prog goes: after its prologue, like `break func`, so
    the arguments are in place when it stops."""
    objfile = _objfile(program_path(prog))
    sym = objfile and (objfile.lookup_global_symbol(func) or
                       objfile.lookup_static_symbol(func))
    if sym is None or not sym.is_function:
        raise kmem.Error("%s has no function %s (or the compiler inlined it everywhere; "
                         "a -Ddebug_kernel=true build keeps every function)" % (prog, func))
    entry = kmem.addr(sym.value().address)
    block = gdb.block_for_pc(entry)
    while block and block.function is None:
        block = block.superblock
    limit = block.end if block else entry + 1
    rows = sorted((e.pc, e.line) for e in sym.symtab.linetable() if entry <= e.pc < limit)
    first_line = rows[0][1] if rows else None
    # The prologue ends where the line table first leaves the function's opening line.
    after = next((pc for pc, line in rows if pc > entry and line != first_line), None)
    return after if after is not None else entry, sym


def location_address(prog, where):
    """The address of where in prog: a function name (after its prologue) or a source
    line, FILE:LINE, as gdb's break takes it."""
    if re.fullmatch(r"[A-Za-z_]\w*", where):
        return function_address(prog, where)[0]
    objfile = _objfile(program_path(prog))
    try:
        sals = gdb.decode_line(where)[1] or []
    except gdb.error as e:
        raise kmem.Error("no line %s in %s (%s)" % (where, prog, e)) from None
    pcs = sorted({s.pc for s in sals if s.symtab and s.symtab.objfile == objfile})
    if len(pcs) != 1:
        raise kmem.Error("%s is %s in %s" % (where, "not a line with code" if not pcs else
                                             "%d places" % len(pcs), prog))
    return pcs[0]


class UserBreakpoint(gdb.Breakpoint):
    """A breakpoint at an address of one program that stops only in that program."""

    def __init__(self, prog, where, address):
        super().__init__("*0x%x" % address)
        self.prog, self.where = prog, where
        self.skipped = 0  # times another program ran through the address

    def stop(self):
        try:
            here = current_program()
        except kmem.Error as e:
            print("pagoda ubreak: cannot tell which process this is (%s): stopping" % e)
            return True
        if here != self.prog[:NAME_MAX]:
            self.skipped += 1
            return False
        return True


def _on_stop(event):
    """Show the source of the program that hit a ubreak, loading its symbols if needed."""
    if not isinstance(event, gdb.BreakpointEvent):
        return
    for bp in event.breakpoints:
        if isinstance(bp, UserBreakpoint):
            if load(bp.prog):
                gdb.execute("frame")
            return


class User(command.Subcommand):
    """Load the symbols of a user program (from the build's userland directory).

Usage: pagoda user [PROG]
Without PROG: the program of the process on the selected hart. Only one program's
symbols are loaded at a time (they all link at 0x10000); loading one unloads the other."""

    name = "user"
    usage = "pagoda user [PROG]"

    def run(self, argv):
        self.want(argv, 0, 1)
        prog = argv[0] if argv else current_program()
        if not load(prog):
            print("pagoda: symbols of user program %s are already loaded" % prog)


class Ubreak(command.Subcommand):
    """Break in a user program, only when that program is the one running.

Usage: pagoda ubreak PROG FUNC|FILE:LINE
Loads PROG's symbols, sets a breakpoint at FUNC (after its prologue, like break) or at
the line, and gives it a condition: the process on the hart that reaches it must be
named PROG. When it stops, PROG's symbols are loaded again if another program's were
loaded meanwhile."""

    name = "ubreak"
    usage = "pagoda ubreak PROG FUNC|FILE:LINE"

    def run(self, argv):
        self.want(argv, 2, 2)
        prog, where = argv
        load(prog)
        address = location_address(prog, where)
        bp = UserBreakpoint(prog, where, address)
        sal = gdb.find_pc_line(address)
        print("pagoda: breakpoint %d at %s's %s (0x%x, %s:%d) stops only in processes "
              "named %s" % (bp.number, prog, where, address,
                            sal.symtab.filename if sal.symtab else "?", sal.line,
                            prog[:NAME_MAX]))


def register_parameters():
    global _dir_param
    if _dir_param is None:  # sourcing pagoda.py twice must not connect the handler twice
        _dir_param = UserlandDir()
        gdb.events.stop.connect(_on_stop)
