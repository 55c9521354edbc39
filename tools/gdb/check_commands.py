"""Checks the pagoda gdb commands against a live kernel; runs inside gdb, started by
tools/gdb_test.py after pagoda.py is loaded and gdb is attached to a halted QEMU.

Each check parses a command's output and holds it against something found another way:
gdb's own reading of the kernel's variables at a breakpoint, the user program's ELF file,
the bytes in the frame a PTE points at. TAP lines go to the file named by $PAGODA_TAP,
so gdb's own chatter cannot confuse meson.
"""

import os
import re
import struct
import traceback

import gdb

from pagodagdb import kmem, user

KERNEL_TEXT = 0xFFFFFFC080200000  # the kernel's first instruction (KERNBASE + 0x80200000)
BAD_PID = 99999


class Tap:
    def __init__(self, path):
        self.f = open(path, "w")
        self.n = 0

    def line(self, text):
        self.f.write(text + "\n")
        self.f.flush()

    def check(self, name, fn):
        """Runs fn; a failed assert or any exception makes the case fail. Its result too is
        returned, so later cases can use what an earlier one found (None if it failed)."""
        self.n += 1
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001  every failure is a test failure
            self.line("not ok %d - %s" % (self.n, name))
            for part in ("%s: %s" % (type(e).__name__, e)).splitlines():
                self.line("# " + part)
            for part in traceback.format_exc().splitlines()[-6:]:
                self.line("#   " + part)
            return None
        self.line("ok %d - %s" % (self.n, name))
        return result

    def done(self):
        self.line("1..%d" % self.n)


def run(cmd):
    out = gdb.execute(cmd, to_string=True)
    gdb.write(out)  # into the test log, for whoever reads a failure
    return out


def error_of(cmd):
    """The one-line error cmd ends in (it must end in one)."""
    try:
        out = run(cmd)
    except gdb.error as e:
        return str(e)
    raise AssertionError("%r printed %r and no error" % (cmd, out))


# ---- parsing what the commands print ----

PS_ROW = re.compile(r"^([* ]) (\d+)\s+([A-Z]+)\s+(\d*)\s+(\d+|-)\s+(\S+)$")
VMAS_HEAD = re.compile(r"^pid (\d+) \((\S+)\): (\d+) VMAs, heap 0x([0-9a-f]+)\.\.0x([0-9a-f]+)$")
VMAS_ROW = re.compile(r"^0x([0-9a-f]{16}) 0x([0-9a-f]{16}) ([r-][w-][x-])\s+(\S+)\s+(\w+)\s+(.*)$")
PTE_ROW = re.compile(r"^  L([012])\[\s*(\d+)\] pte 0x([0-9a-f]{16}) at pa 0x([0-9a-f]+)\s+"
                     r"(not valid|table\s+pa 0x[0-9a-f]+|page\s+pa 0x[0-9a-f]+)\s+"
                     r"((?:[VRWXUGAD-] ){7}[VRWXUGAD-])$")
PTE_TO = re.compile(r"^va 0x([0-9a-f]+) -> pa 0x([0-9a-f]+)$")


def ps():
    rows = []
    for line in run("pagoda ps").splitlines()[1:]:
        m = PS_ROW.match(line)
        assert m, "pagoda ps printed an unexpected line: %r" % line
        rows.append({"current": m.group(1) == "*", "pid": int(m.group(2)),
                     "state": m.group(3), "hart": int(m.group(4)) if m.group(4) else None,
                     "parent": m.group(5), "name": m.group(6)})
    assert rows, "pagoda ps listed no process"
    return rows


def vmas(arg=""):
    lines = run("pagoda vmas " + arg).splitlines()
    head = VMAS_HEAD.match(lines[0])
    assert head, "unexpected first line %r" % lines[0]
    rows = []
    for line in lines[2:]:
        m = VMAS_ROW.match(line)
        assert m, "pagoda vmas printed an unexpected line: %r" % line
        rows.append({"start": int(m.group(1), 16), "end": int(m.group(2), 16),
                     "prot": m.group(3), "sharing": m.group(4), "kind": m.group(5),
                     "backing": m.group(6)})
    assert int(head.group(3)) == len(rows), "the header says %s VMAs, %d listed" % (
        head.group(3), len(rows))
    for a, b in zip(rows, rows[1:]):
        assert a["end"] <= b["start"], "VMAs out of order or overlapping: %r %r" % (a, b)
    return {"pid": int(head.group(1)), "name": head.group(2), "rows": rows}


def pte(arg):
    out = run("pagoda pte " + arg)
    levels = []
    for line in out.splitlines():
        m = PTE_ROW.match(line)
        if m:
            levels.append({"level": int(m.group(1)), "pte": int(m.group(3), 16),
                           "what": m.group(5), "flags": set(m.group(6).split()) - {"-"}})
    to = [PTE_TO.match(line) for line in out.splitlines()]
    to = [m for m in to if m]
    assert levels, "pagoda pte printed no level: %r" % out
    assert [lv["level"] for lv in levels] == [2, 1, 0][:len(levels)], "levels out of order"
    for lv in levels:  # the flags column must say what the PTE's bits say
        bits = {c for i, c in enumerate("VRWXUGAD") if lv["pte"] >> i & 1}
        assert bits == lv["flags"], "PTE 0x%x shown with flags %s" % (lv["pte"], lv["flags"])
    return levels, int(to[0].group(2), 16) if to else None


# ---- the user program's ELF file ----

def elf_segments(path):
    """(vaddr, offset, filesz, flags) of each PT_LOAD of a 64-bit little-endian ELF."""
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    segs = []
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((p_vaddr, p_offset, p_filesz, p_flags))
    return data, segs


def text_start(prog):
    _, segs = elf_segments(user.program_path(prog))
    return next(v for v, _, _, flags in segs if flags & 1)  # PF_X


def file_bytes_at(prog, va, n):
    data, segs = elf_segments(user.program_path(prog))
    for vaddr, off, filesz, _ in segs:
        if vaddr <= va and va + n <= vaddr + filesz:
            return data[off + va - vaddr:off + va - vaddr + n]
    return None


# ---- the checks ----

def main():
    tap = Tap(os.environ["PAGODA_TAP"])
    hart_of_thread = lambda: gdb.selected_thread().num - 1  # QEMU: thread N is CPU N-1

    def at_vm_fault():
        run("break vm_fault")
        run("continue")
        assert gdb.selected_frame().name() == "vm_fault", "stopped in %s" % (
            gdb.selected_frame().name())
        return {"va": kmem.addr(gdb.parse_and_eval("va")),
                "access": str(gdb.parse_and_eval("access")),
                "pid": int(gdb.parse_and_eval("cpus[$tp].proc->pid")),
                "vmas": int(gdb.parse_and_eval("as->vmas.count"))}

    fault = tap.check("break at vm_fault and continue until a process faults", at_vm_fault)
    if fault is None:
        tap.done()
        return

    def ps_in_kernel():
        rows = ps()
        cur = [r for r in rows if r["current"]]
        assert len(cur) == 1, "%d processes marked current" % len(cur)
        cur = cur[0]
        assert cur["pid"] == fault["pid"], "ps says pid %d, cpus[$tp].proc says %d" % (
            cur["pid"], fault["pid"])
        assert cur["state"] == "RUNNING" and cur["hart"] == hart_of_thread(), cur
        assert cur["name"] in ("init", "sh"), "the first faulting process is %s" % cur["name"]
        for r in rows:
            assert r["state"] in ("USED", "SLEEPING", "RUNNABLE", "RUNNING", "ZOMBIE"), r
            assert (r["hart"] is not None) == (r["state"] == "RUNNING"), r
        return cur

    cur = tap.check("pagoda ps: the process on this hart is the one faulting", ps_in_kernel)

    def vmas_in_kernel():
        got = vmas()
        assert got["pid"] == fault["pid"], got
        assert len(got["rows"]) == fault["vmas"], "%d VMAs listed, as->vmas.count is %d" % (
            len(got["rows"]), fault["vmas"])
        load = text_start(got["name"])
        text = [r for r in got["rows"] if r["start"] == load]
        assert text, "no VMA starts at %s's load address 0x%x" % (got["name"], load)
        text = text[0]
        assert (text["kind"], text["prot"], text["sharing"]) == ("text", "r-x", "private"), text
        assert re.match(r"obj 0x[0-9a-f]+ inode \d+ \+0x[0-9a-f]+$", text["backing"]), text
        kinds = {r["kind"] for r in got["rows"]}
        assert {"stack", "guard"} <= kinds, "kinds listed: %s" % kinds
        inside = [r for r in got["rows"] if r["start"] <= fault["va"] < r["end"]]
        assert inside, "the faulting va 0x%x is in no VMA listed" % fault["va"]
        return got

    kvmas = tap.check("pagoda vmas: the text region at the load address, stack and guard",
                      vmas_in_kernel)

    def bad_pids():
        for cmd in ("pagoda vmas %d" % BAD_PID, "pagoda pte 0x10000 %d" % BAD_PID):
            msg = error_of(cmd)
            assert "no process with pid %d" % BAD_PID in msg and "\n" not in msg, msg
        msg = error_of("pagoda vmas nosuchpid")
        assert "is not a pid" in msg, msg
        msg = error_of("pagoda pte 0x8000000000000000")
        assert "not an Sv39 address" in msg, msg
        msg = error_of("pagoda user nosuchprogram")
        assert "no user program 'nosuchprogram'" in msg and " sh " in msg, msg
        msg = error_of("pagoda ubreak sh nosuchfunction")
        assert "sh has no function nosuchfunction" in msg, msg

    tap.check("bad pids, addresses, programs and functions end in one-line errors", bad_pids)

    def pte_after_fault():
        run("delete")  # another hart could hit it before this one returns
        run("finish")  # vm_fault returns: the page is mapped now
        page = fault["va"] & ~0xFFF
        levels, pa = pte("0x%x" % fault["va"])
        assert len(levels) == 3 and levels[-1]["what"].startswith("page"), levels
        flags = levels[-1]["flags"]
        assert {"V", "U", "A"} <= flags, "flags %s" % flags
        want = {"FAULT_EXEC": "X", "FAULT_WRITE": "W", "FAULT_READ": "R"}[fault["access"]]
        assert want in flags, "a %s fault mapped it with %s" % (fault["access"], flags)
        assert pa is not None and pa & 0xFFF == fault["va"] & 0xFFF, pa
        # The frame must hold the program's bytes (read by gdb itself, through the
        # direct map, now that the hart is back in the kernel).
        expect = file_bytes_at(cur["name"], page, 64) if cur else None
        if expect is not None and fault["access"] != "FAULT_WRITE":
            frame = bytes(gdb.selected_inferior().read_memory(kmem.KERNBASE + (pa & ~0xFFF), 64))
            assert frame == expect, "the frame at pa 0x%x does not hold %s's bytes" % (
                pa & ~0xFFF, cur["name"])
        return page, pa & ~0xFFF

    mapped = tap.check("pagoda pte: the faulted page is V, U, A and holds the program",
                       pte_after_fault)

    def pte_unmapped_and_kernel():
        levels, pa = pte("0x1000")
        assert pa is None and "V" not in levels[-1]["flags"], levels
        levels, pa = pte("0x%x" % KERNEL_TEXT)
        leaf = levels[-1]["flags"]
        assert pa == KERNEL_TEXT - kmem.KERNBASE, "kernel text at pa 0x%x" % (pa or 0)
        assert {"V", "R", "X", "G"} <= leaf and not {"U", "W"} & leaf, leaf

    tap.check("pagoda pte: nothing below the text; kernel text is R-X, global, not U",
              pte_unmapped_and_kernel)

    def pcache_has_page():
        page, frame = mapped
        out = run("pagoda pcache")
        text = next(r for r in kvmas["rows"] if r["kind"] == "text")
        obj = re.match(r"obj (0x[0-9a-f]+)", text["backing"]).group(1)
        off = int(text["backing"].rsplit("+0x", 1)[1], 16) + page - text["start"]
        section = out.split("obj " + obj, 1)
        assert len(section) == 2, "object %s not in the page cache" % obj
        body = section[1].split("\nobj ", 1)[0]
        row = re.search(r"offset 0x%06x  pa 0x%x  refs (\d+)\s+(clean|dirty)\s+mapped by (.*)"
                        % (off, frame), body)
        assert row, "offset 0x%x (frame 0x%x) not listed for %s" % (off, frame, obj)
        assert str(fault["pid"]) in row.group(3).split(", ") and row.group(2) == "clean", row.group(0)

    if mapped and kvmas:
        tap.check("pagoda pcache: the faulted text page is cached, clean, mapped by its pid",
                  pcache_has_page)

    def ubreak_only_in_sh():
        run("delete")
        run("pagoda user init")
        init_main, _ = user.function_address("init", "main")
        run("pagoda ubreak sh main")
        sh_main, _ = user.function_address("sh", "main")
        # A breakpoint for sh placed where init runs (init's main): a plain breakpoint
        # would stop there in init; this one must let init through.
        trap = user.UserBreakpoint("sh", "(init's main)", init_main)
        # With init's symbols loaded, a stop in sh must bring sh's back (checked below).
        run("pagoda user init")
        for _ in range(10):
            run("continue")
            names = [r["name"] for r in ps() if r["current"]]
            assert names == ["sh"], "stopped at 0x%x in %s" % (gdb.selected_frame().pc(), names)
            if gdb.selected_frame().pc() == sh_main:
                break
        assert gdb.selected_frame().pc() == sh_main, "never reached sh's main"
        assert trap.skipped >= 1, "init's main ran but the breakpoint never saw init there"
        assert trap.stop(), "a ubreak for sh refuses to stop in sh"
        trap.prog = "init"
        assert not trap.stop(), "a ubreak for init would stop in sh"
        trap.delete()
        return True

    stopped = tap.check("pagoda ubreak sh main: init runs through, sh stops", ubreak_only_in_sh)

    def frames_after_ubreak():
        # The condition reads kernel memory in physical mode; gdb must not keep anything
        # it read meanwhile, or the stack it unwinds and the arguments it shows are wrong.
        run("pagoda ubreak sh gets")
        run("continue")  # sh goes on from main to its prompt and reads a line
        frame = gdb.selected_frame()
        assert frame.name() == "gets", "stopped in %s" % frame.name()
        assert frame.older() and frame.older().name() == "main", "bt:\n" + run("bt")
        size = int(gdb.parse_and_eval("sizeof(line)"))
        assert int(frame.read_var("max")) == size, "gets(max=%s), sh passes %d" % (
            frame.read_var("max"), size)
        assert kmem.addr(frame.read_var("buf")) == kmem.addr(
            gdb.parse_and_eval("&line")), "gets(buf=%s)" % frame.read_var("buf")
        # An array names its address, as in C.
        line = kmem.addr(gdb.parse_and_eval("&line"))
        assert "va 0x%x," % line in run("pagoda pte line"), "pagoda pte line"
        # FILE:LINE locations: the caller's line must come back as an address on it.
        caller = frame.older().find_sal()
        where = "%s:%d" % (os.path.basename(caller.symtab.filename), caller.line)
        at = user.location_address("sh", where)
        assert gdb.find_pc_line(at).line == caller.line, "%s is at 0x%x" % (where, at)
        return True

    def user_mode_views():
        assert kmem.register("priv") == 0, "not in user mode: priv %s" % kmem.register("priv")
        frame = gdb.selected_frame()
        assert frame.name() == "main" and frame.find_sal().symtab.filename.endswith("sh.c"), (
            frame.name(), frame.find_sal().symtab)
        assert "main" in run("bt")
        got = vmas()
        assert got["name"] == "sh", got
        text = [r for r in got["rows"] if r["start"] == text_start("sh")]
        assert text and text[0]["kind"] == "text", got
        levels, pa = pte("$pc")
        assert pa is not None and {"V", "U", "X", "R"} <= levels[-1]["flags"], levels
        levels, pa = pte("$sp")
        assert pa is not None and {"V", "U", "W", "R"} <= levels[-1]["flags"], levels
        msg = error_of("pagoda vmas %d" % BAD_PID)
        assert "no process with pid" in msg, msg
        objs = re.findall(r"^obj ", run("pagoda pcache"), re.M)
        assert len(objs) >= 2, "%d objects cached, want init's and sh's" % len(objs)

    def dirty_until_msync():
        # sh is reading a line: run mmaptest, whose first msync follows stores into a
        # MAP_SHARED file mapping (t_eofzero). At as_msync those pages must show dirty,
        # with D in their PTEs; once it has written them back, clean.
        run("delete")
        with open(os.environ["PAGODA_CONSOLE"], "w") as con:
            con.write("mmaptest\n")
        run("break as_msync")
        run("continue")
        assert gdb.selected_frame().name() == "as_msync", gdb.selected_frame().name()
        addr = kmem.addr(gdb.parse_and_eval("addr"))
        pid = [r["pid"] for r in ps() if r["current"]][0]
        region = [r for r in vmas()["rows"] if r["start"] <= addr < r["end"]]
        assert region and region[0]["sharing"] == "shared", "msync of %r" % region
        obj = re.match(r"obj (0x[0-9a-f]+)", region[0]["backing"]).group(1)

        def dirty_pages():
            body = run("pagoda pcache").split("obj " + obj, 1)[1].split("\nobj ", 1)[0]
            return [int(m.group(1), 16) for m in re.finditer(
                r"offset 0x([0-9a-f]+)  pa 0x[0-9a-f]+  refs \d+\s+dirty\s+mapped by .*\b%d\(D\)"
                % pid, body)]

        dirty = dirty_pages()
        assert dirty, "no dirty page at mmaptest's first msync (has t_eofzero moved?)"
        base = region[0]["start"] - int(region[0]["backing"].rsplit("+0x", 1)[1], 16)
        for off in dirty:
            levels, _ = pte("0x%x" % (base + off))
            assert "D" in levels[-1]["flags"], "dirty page 0x%x has no D bit" % off
        run("finish")
        assert not dirty_pages(), "still dirty after msync wrote them back"

    if stopped:
        tap.check("in user mode: vmas, pte of $pc and $sp, pcache, bt in sh", user_mode_views)
        tap.check("pagoda ubreak sh gets: bt and the arguments are gdb's usual ones",
                  frames_after_ubreak)
        tap.check("pagoda pcache: shared pages stored into are dirty until msync",
                  dirty_until_msync)
    tap.done()


main()
