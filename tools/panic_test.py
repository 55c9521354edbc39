#!/usr/bin/env python3
"""Checks that each deliberate kernel failure ends as designed: one clear panic, then quiet.

Boots Pagoda with the "selftest" boot argument once per case and runs `ktest NAME`, which
makes the kernel overflow a kernel stack, store into its text, jump into its data, or
panic with a message that itself faults. For each case the console must show the
expected panic line (naming the hart, the process and, for an overflow, the stack), the
"halting all harts" line where one is due, and then nothing more: afterwards QEMU must
use almost no CPU, which is how a hart that loops in the trap vector would show. One more
boot without "selftest" checks that ktest is refused and the kernel carries on.
Output is TAP for meson; the console transcript goes to stderr.
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (QEMU sessions, console conversations, TAP output)

QUIET = 2.0        # seconds of silence that end a case
CPU_WINDOW = 2.0   # seconds over which QEMU's CPU use is measured after the halt
CPU_LIMIT = 0.35   # fraction of one host CPU a halted guest may use (a looping hart: ~1.0)

CASES = [
    ("overflow",
     r"panic: kernel stack overflow on hart \d+, pid \d+ \(ktest\): kernel stack of "
     r"process slot \d+ \[0x[0-9a-f]+, 0x[0-9a-f]+\)", True),
    ("text", r"panic: kernel trap: store page fault, sepc 0x[0-9a-f]+ stval 0x[0-9a-f]+", True),
    ("data", r"panic: kernel trap: instruction page fault, sepc 0x[0-9a-f]+", True),
    ("panicfault", r"hart \d+: load page fault during panic, sepc 0x[0-9a-f]+", False),
    ("panic", r"panic: ktest: deliberate panic", True),
]


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc (Linux hosts)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def collect(guest, deadline):
    """Pumps the console until it has been quiet for QUIET seconds (or the deadline)."""
    last = time.monotonic()
    count = len(guest.lines)
    while time.monotonic() < deadline and not guest.eof:
        guest.pump(min(deadline, time.monotonic() + 0.25))
        if len(guest.lines) != count or guest.partial:
            count = len(guest.lines)
            if guest.partial:
                guest.partial += ""
            last = time.monotonic()
        if time.monotonic() - last >= QUIET:
            break
    return guest.lines + ([guest.partial] if guest.partial else [])


def boot(session, argv_extra, deadline):
    start = time.monotonic()
    guest = harness.Guest(harness.qemu_argv(session.args, session.disk) + argv_extra)
    session.guests.append(guest)
    guest.wait_prompt(0, min(deadline, start + harness.BOOT_TIMEOUT), "no shell prompt")
    return guest


def run_case(session, tap, name, want, halts, timeout):
    deadline = time.monotonic() + timeout
    guest = boot(session, ["-append", "selftest"], deadline)
    guest.type("ktest %s\n" % name)
    lines = collect(guest, deadline)
    hit = [i for i, l in enumerate(lines) if re.search(want, l)]
    tap.result(bool(hit), "%s: console shows /%s/" % (name, want[:60]))
    if not hit:
        for line in lines[-20:]:
            tap.diag(line)
    if halts:
        tail = lines[hit[0]:] if hit else lines
        halt_at = [i for i, l in enumerate(tail) if l.strip() == "halting all harts"]
        tap.result(bool(halt_at) and halt_at[0] == len(tail) - 1,
                   "%s: 'halting all harts' is the last line" % name)
    else:
        tap.result(bool(hit) and hit[0] >= len(lines) - 2,
                   "%s: one line after the first panic line, then nothing" % name)
    if guest.proc.poll() is None:
        before = cpu_seconds(guest.proc.pid)
        time.sleep(CPU_WINDOW)
        used = (cpu_seconds(guest.proc.pid) - before) / CPU_WINDOW
        quiet_after = len(guest.lines) == len(lines) or not guest.pump(time.monotonic())
        tap.result(used < CPU_LIMIT,
                   "%s: every hart stopped (QEMU used %.0f%% of a CPU)" % (name, 100 * used))
        tap.result(quiet_after and not guest.take_lines()[len(lines):],
                   "%s: no output after the halt" % name)
    else:
        tap.result(False, "%s: QEMU stayed up, halted" % name)
    guest.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_guest_args(ap, 60.0)
    args = ap.parse_args()
    tap = harness.Tap()
    with harness.Session(args, tap, "pagoda-panic-") as session:
        deadline = time.monotonic() + args.timeout
        guest = session.boot(deadline)
        ok = harness.run_script(guest, tap, [("ktest overflow", harness.check_line(
            "ktest: refused"), "without selftest, ktest is refused and the kernel runs on")],
            deadline, args.timeout)
        tap.result(ok and guest.halt(), "without selftest: the guest halts normally")
        for name, want, halts in CASES:
            run_case(session, tap, name, want, halts, args.timeout)
        tap.plan()
        session.ok = tap.failed == 0
    return 0 if session.ok else 1


if __name__ == "__main__":
    sys.exit(main())
