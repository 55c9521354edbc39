#!/usr/bin/env python3
"""Kills QEMU while the guest writes, then checks the disk with fsck and at the next boot.

One copy of the disk image serves every round. A round boots the kernel on it, checks
what the previous round reported durable (`crashwriter c`, fed one "PATH LENGTH SUM" line
per file), starts `crashwriter w` (several processes appending with write()+fsync(),
storing through MAP_SHARED mappings with msync(MS_SYNC), making directories, linking and
unlinking), and SIGKILLs QEMU at a random moment. Then tools/fsck must find the image
clean as the kernel will see it after replaying its log, and at the next boot the kernel's
recovery must agree with what fsck said about the log. A last boot checks the last round
and halts, and fsck must find the halted image clean with no torn log.

The writer prints "durable PATH LENGTH SUM" after every fsync or msync that returned 0
and "gone PATH ." before each unlink (see userland/tests/crashwriter.c); a failed call,
fsync returning -1 included, is a failure of the round.

The random moments and the writer's seeds come from --seed, printed first; QEMU's timing
is not reproducible, so a rerun with the same seed kills at the same delays, not at the
same instruction. Output is TAP for meson; the console transcript goes to stderr.

Usage: crash_test.py --kernel K --disk D --fsck FSCK [--swap IMG] [--rounds N] [--seed S] ...
"""

import argparse
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (QEMU command line, sessions, console, TAP)

RE_DURABLE = re.compile(r"^durable (/\S+) (\d+) ([0-9a-f]{8})$")
RE_GONE = re.compile(r"^gone (/\S+) \.$")
RE_FAIL = re.compile(r"^crashwriter: FAIL .*$")
RE_STARTED = re.compile(r"^crashwriter: started round (\d+)")
RE_DONE = re.compile(r"^crashwriter: done, (\d+) children failed")
RE_CHECK = re.compile(r"^check (/\S+) (ok|FAIL.*)$")
RE_CHECKED = re.compile(r"^crashwriter: checked (\d+), (\d+) failed")
# What the kernel says at boot about a crash's leftovers (src/fs/log.c, src/fs/inode.c).
RE_DISCARD = re.compile(r"^fs: discarding an incomplete transaction of (\d+) blocks")
RE_REAP = re.compile(r"^fs: freeing (\d+) unlinked inodes? left by a crash")
# What fsck says about the same things.
RE_FSCK_TORN = re.compile(r"^info: log: incomplete transaction of (\d+) blocks")
RE_FSCK_LOG = re.compile(r"^info: log: (.*)$")
RE_FSCK_UNLINKED = re.compile(r"^info: inode \d+: unlinked ")

WRITER_SECONDS = 120    # the writer's own time limit: longer than any kill delay
STEP_TIMEOUT = 60.0     # seconds for one check line, the writer's start, a halt


class Round:
    """What one killed round left for the host to check."""

    def __init__(self, number):
        self.number = number
        self.durable = {}      # path -> (length, sum) of its last durable record
        self.records = 0
        self.fsck_torn = None  # blocks in a torn log, as fsck read the image
        self.fsck_unlinked = 0


def pump_lines(guest, until, deadline, on_line, stop=lambda: False):
    """Hands console lines to on_line until stop() or the time `until`; returns stop().
    A panic, QEMU exiting, or the overall deadline raise harness.Abort."""
    while True:
        for line in guest.take_lines():
            on_line(line)
        if stop():
            return True
        if time.monotonic() >= until:
            return False
        guest.check(deadline, "timeout: the test ran past its time limit")
        guest.pump(min(until, deadline))


def run_fsck(args, disk):
    r = subprocess.run([args.fsck, disk], capture_output=True, text=True, timeout=300)
    return r.returncode, (r.stdout + r.stderr).splitlines()


def check_recovery(tap, guest, prev):
    """The kernel's boot messages must match fsck's reading of the killed image."""
    discarded = reaped = None
    for line in guest.lines:
        m = RE_DISCARD.match(line)
        if m:
            discarded = int(m.group(1))
        m = RE_REAP.match(line)
        if m:
            reaped = int(m.group(1))
    ok = discarded == prev.fsck_torn and (reaped or 0) == prev.fsck_unlinked
    tap.result(ok, "round %d: the kernel's recovery agrees with fsck (torn log: %s, "
               "unlinked inodes freed: %d)" % (prev.number, discarded, reaped or 0))
    if not ok:
        tap.diag("fsck said: torn log of %s blocks, %d unlinked inodes; the kernel: torn "
                 "log of %s blocks, %s freed" % (prev.fsck_torn, prev.fsck_unlinked,
                                                 discarded, reaped))


def check_durable(tap, guest, prev, deadline):
    """Asks `crashwriter c` about every file the previous round made durable."""
    replies = {}
    summary = []

    def on_line(line):
        m = RE_CHECK.match(line)
        if m:
            replies[m.group(1)] = m.group(2)
        m = RE_CHECKED.match(line)
        if m:
            summary.append((int(m.group(1)), int(m.group(2))))

    seen = guest.prompts
    guest.type("crashwriter c\n")
    bad = []
    # One line at a time: the console's input buffer holds only 128 characters.
    for path, (length, csum) in sorted(prev.durable.items()):
        guest.type("%s %d %s\n" % (path, length, csum))
        if not pump_lines(guest, time.monotonic() + STEP_TIMEOUT, deadline, on_line,
                          lambda: path in replies):
            raise harness.Abort("crashwriter c did not answer for %s" % path, guest.tail())
        if replies[path] != "ok":
            bad.append("%s: %s (durable: %d bytes, sum %s)" % (path, replies[path], length,
                                                                csum))
    guest.type("end\n")
    pump_lines(guest, time.monotonic() + STEP_TIMEOUT, deadline, on_line,
               lambda: summary and guest.prompts > seen)
    ok = not bad and summary == [(len(prev.durable), 0)]
    tap.result(ok, "round %d: %d durable files intact at the next boot (of %d records)"
               % (prev.number, len(prev.durable), prev.records))
    for b in bad:
        tap.diag("LOST: " + b)
    if not summary:
        tap.diag("crashwriter c printed no summary")
    return ok


def write_and_kill(args, tap, guest, number, wseed, delay, deadline):
    """Starts the writer, kills QEMU `delay` seconds after it started; returns a Round."""
    rnd = Round(number)
    state = {"started": False, "done": None, "fails": []}

    def on_line(line):
        m = RE_DURABLE.match(line)
        if m:
            rnd.durable[m.group(1)] = (int(m.group(2)), m.group(3))
            rnd.records += 1
            return
        m = RE_GONE.match(line)
        if m:
            rnd.durable.pop(m.group(1), None)
            return
        if RE_STARTED.match(line):
            state["started"] = True
        elif RE_FAIL.match(line):
            state["fails"].append(line)
        elif RE_DONE.match(line):
            state["done"] = line

    guest.type("crashwriter w %d %d %d %d\n" % (number, wseed, WRITER_SECONDS,
                                                 args.children))
    if not pump_lines(guest, time.monotonic() + STEP_TIMEOUT, deadline, on_line,
                      lambda: state["started"]):
        raise harness.Abort("crashwriter w did not start", guest.tail())
    started = time.monotonic()
    pump_lines(guest, started + delay, deadline, on_line)
    guest.proc.kill()  # SIGKILL: no chance to flush anything
    guest.stop()       # collects what QEMU had written before it died
    for line in guest.take_lines():
        on_line(line)
    # The writer outlives the kill unless its children failed.
    ok = not state["fails"] and state["done"] is None
    tap.result(ok, "round %d: writer (seed %d) killed after %.2f s, %d durable records, "
               "%d files to check" % (number, wseed, delay, rnd.records, len(rnd.durable)))
    for f in state["fails"]:
        tap.diag(f)
    if state["done"]:
        tap.diag("the writer ended before the kill: " + state["done"])
    return rnd


def fsck_after(args, tap, session, rnd, what):
    rc, out = run_fsck(args, session.disk)
    for line in out:
        m = RE_FSCK_TORN.match(line)
        if m:
            rnd.fsck_torn = int(m.group(1))
        rnd.fsck_unlinked += bool(RE_FSCK_UNLINKED.match(line))
    log = [m.group(1) for m in map(RE_FSCK_LOG.match, out) if m]
    tap.result(rc == 0, "%s: fsck clean (log: %s)" % (what, "; ".join(log) or "?"))
    # Legal but worth seeing (blocks past a file's size: crashwriter never truncates).
    for line in out:
        if line.startswith("info: ") and not RE_FSCK_LOG.match(line) \
                and not RE_FSCK_UNLINKED.match(line):
            tap.diag("fsck " + line)
    if rc != 0:
        for line in out[:40]:
            tap.diag(line)
        # Keep the evidence: the image as the kill left it.
        keep = "%s.round%d" % (session.disk, rnd.number)
        try:
            with open(session.disk, "rb") as src, open(keep, "wb") as dst:
                dst.write(src.read())
            tap.diag("image kept as " + keep)
        except OSError:
            pass
    return rc, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_guest_args(ap, 540.0)
    ap.add_argument("--rounds", type=int, default=10, help="kills (default 10)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--children", type=int, default=4, help="writer processes")
    ap.add_argument("--kill-min", type=float, default=0.05)
    ap.add_argument("--kill-max", type=float, default=3.0,
                    help="longest time the writer runs before the kill (seconds)")
    ap.add_argument("--log", help="write the console transcript to this file, not stderr")
    args = ap.parse_args()
    if not args.fsck:
        ap.error("--fsck is required: every killed image is checked with it")
    if args.log:
        sys.stderr = open(args.log, "w")  # harness writes the transcript to sys.stderr

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    rng = random.Random(seed)
    tap = harness.Tap()
    tap.diag("seed %d (rerun with --seed %d)" % (seed, seed))
    deadline = time.monotonic() + args.timeout

    with harness.Session(args, tap, "pagoda-crash-") as session:
        prev = None
        for number in range(1, args.rounds + 2):
            guest = session.boot(deadline)
            if prev:
                check_recovery(tap, guest, prev)
                check_durable(tap, guest, prev, deadline)
            if number > args.rounds:
                break
            wseed = rng.randrange(1 << 31)
            delay = rng.uniform(args.kill_min, args.kill_max)
            prev = write_and_kill(args, tap, guest, number, wseed, delay, deadline)
            fsck_after(args, tap, session, prev, "round %d" % number)
        # The last boot is still running: halt it, and the image must be clean and whole.
        tap.result(guest.halt(), "the last boot powers off after halt")
        rc, out = run_fsck(args, session.disk)
        torn = [l for l in out if RE_FSCK_TORN.match(l) or "not yet installed" in l]
        tap.result(rc == 0 and not torn, "after a clean halt: fsck clean, log installed")
        for line in out if rc != 0 or torn else []:
            tap.diag(line)
        tap.plan()
        session.ok = tap.failed == 0
    if not session.ok:
        tap.diag("seed %d" % seed)
    return 0 if session.ok else 1


if __name__ == "__main__":
    sys.exit(main())
