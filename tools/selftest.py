#!/usr/bin/env python3
"""Kernel self-tests: each deliberate failure ends as designed, and a lost interrupt heals.

Boots Pagoda with the "selftest" boot argument once per case and runs `ktest NAME`, which
makes the kernel overflow a kernel stack, store into its text, jump into its data, or
panic with a message that itself faults. For each case the console must show the
expected panic line (naming the hart, the process and, for an overflow, the stack), the
"halting all harts" line where one is due, and then nothing more: afterwards QEMU must
use almost no CPU, which is how a hart that loops in the trap vector would show. One more
boot without "selftest" checks that ktest is refused and the kernel carries on, and one
has the disk driver ignore an interrupt: the request it completed must still finish
(reaped by the timer tick, which says so on the console) and the shell carry on. And
one checks the in-guest suites' leak check itself: `leaktest leak`, whose case has the
kernel lose one page, must be reported as leaking exactly that page, so must `leaktest
slableak`, whose case has it lose a page's worth of small kernel objects, and `leaktest
noleak`, which gives back all it takes, must pass.
Two check the swap device (--swap or --swap-mib gives it): with the swap disk attached,
pages written to its first, last and middle page numbers (from several processes at once)
read back as written and a page number past the end is refused; without one, the kernel
says nothing about swap and reports it as 0 pages.
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


def boot(session, argv_extra, deadline, swap=True):
    """swap=False boots without the session's swap disk."""
    start = time.monotonic()
    argv = harness.qemu_argv(session.args, session.disk, session.swap if swap else None)
    guest = harness.Guest(argv + argv_extra)
    session.guests.append(guest)
    boot_deadline = min(deadline, start + harness.BOOT_TIMEOUT)
    guest.wait_prompt(0, boot_deadline, "no shell prompt")
    # A secondary hart may still be starting after the prompt: let every hart be up, so
    # that a late "hart N starting" line is not taken for output after the halt.
    started = lambda: sum(1 for l in guest.lines if re.match(r"hart \d+ starting$", l))
    while started() < session.args.harts - 1 and time.monotonic() < boot_deadline:
        guest.pump(min(boot_deadline, time.monotonic() + 0.2))
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


def lost_irq(session, tap, timeout):
    deadline = time.monotonic() + timeout
    guest = boot(session, ["-append", "selftest"], deadline)
    # wc reads a whole program from the disk: far more than one interrupt's worth.
    steps = [("ktest loseirq", harness.check_line("ktest: the next disk interrupt will be ignored"),
              "loseirq: the driver will drop one interrupt"),
             ("wc usertests", lambda line: re.match(r"\s*\d+\s+\d+\s+\d+ usertests$", line),
              "loseirq: a disk read still completes")]
    ok = harness.run_script(guest, tap, steps, deadline, timeout)
    reaped = [l for l in guest.lines if "completion reaped by the timer" in l]
    tap.result(ok and len(reaped) == 1, "loseirq: the timer reaped the lost completion, once")
    tap.result(guest.halt(), "loseirq: the guest halts normally")


def leak_check(session, tap, timeout):
    deadline = time.monotonic() + timeout
    guest = boot(session, ["-append", "selftest"], deadline)
    leak = re.compile(r"not ok 1 - leak # leaked 1 pages$")
    slab = re.compile(r"not ok 1 - slableak # leaked 1 pages$")
    steps = [("leaktest leak", lambda line: leak.match(line) is not None,
              "leak: testlib reports the page the kernel lost as 'leaked 1 pages'"),
             ("leaktest slableak", lambda line: slab.match(line) is not None,
              "leak: a page's worth of kernel objects lost counts as 'leaked 1 pages'"),
             ("leaktest noleak", harness.check_line("ok 1 - noleak"),
              "leak: a case that gives back all it took passes the same check")]
    ok = harness.run_script(guest, tap, steps, deadline, timeout)
    tap.result(ok and guest.halt(), "leak: the guest halts normally")


RE_SWAP_LINE = re.compile(r"^swap: ")


def swapdev(session, tap, timeout):
    if not session.swap:
        tap.result(True, "swapdev: pages read back as written # SKIP no swap disk "
                   "(--swap or --swap-mib)")
        return
    pages = os.path.getsize(session.swap) // 4096
    deadline = time.monotonic() + timeout
    guest = boot(session, ["-append", "selftest"], deadline)
    said = [l for l in guest.lines if RE_SWAP_LINE.match(l)]
    tap.result(len(said) == 1 and said[0].endswith("(%d pages)" % pages),
               "swapdev: the boot line names the swap disk and its %d pages" % pages)
    for line in said:
        tap.diag(line)
    steps = [("ktest swappages", harness.check_line("ktest: the swap device has %d pages" % pages),
              "swapdev: swapdev_pages() is the disk's size"),
             ("ktest swapdev", harness.check_line("ktest: swapdev ok in 4 processes at once"),
              "swapdev: first, last and middle pages read back as written; past the end is "
              "refused")]
    ok = harness.run_script(guest, tap, steps, deadline, timeout)
    tap.result(ok and guest.halt(), "swapdev: the guest halts normally")


def no_swap(session, tap, timeout):
    deadline = time.monotonic() + timeout
    guest = boot(session, ["-append", "selftest"], deadline, swap=False)
    said = [l for l in guest.lines if RE_SWAP_LINE.match(l)]
    tap.result(not said, "noswap: without a swap disk the kernel says nothing about swap")
    for line in said:
        tap.diag(line)
    steps = [("ktest swappages", harness.check_line("ktest: the swap device has 0 pages"),
              "noswap: swapdev_pages() is 0")]
    ok = harness.run_script(guest, tap, steps, deadline, timeout)
    tap.result(ok and guest.halt(), "noswap: the guest halts normally")


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
        lost_irq(session, tap, args.timeout)
        leak_check(session, tap, args.timeout)
        swapdev(session, tap, args.timeout)
        no_swap(session, tap, args.timeout)
        for name, want, halts in CASES:
            run_case(session, tap, name, want, halts, args.timeout)
        tap.plan()
        session.ok = tap.failed == 0
    return 0 if session.ok else 1


if __name__ == "__main__":
    sys.exit(main())
