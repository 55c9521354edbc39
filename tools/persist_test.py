#!/usr/bin/env python3
"""Checks that a shared mapping's stores survive a reboot when only exit() wrote them back.

Boots Pagoda twice on one copy of the disk image. The first boot runs
`mmaptest persist-write`, which creates /persist.txt, maps it MAP_SHARED, stores a pattern
and exits without msync or munmap; then the guest is halted. The second boot runs
`mmaptest persist-check`, which reads the file with read() and prints "persist: ok" or
"persist: FAIL ...". Output is TAP for meson; the console transcript goes to stderr.

Usage: persist_test.py --kernel K --disk D [--harts N] [--mem M] [--timeout S]
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (QEMU command line, console handling, TAP output)


def boot(args, disk):
    """Starts QEMU on disk and waits for the first shell prompt."""
    start = time.monotonic()
    try:
        guest = harness.Guest(harness.qemu_argv(args, disk))
    except OSError as e:
        raise harness.Abort("cannot start %s: %s" % (args.qemu, e))
    deadline = start + min(args.timeout, harness.BOOT_TIMEOUT)
    guest.wait_prompt(0, deadline, "no shell prompt within %g s of boot"
                      % (deadline - start))
    return guest


def command(guest, text, timeout):
    """Types text at the prompt; returns the console lines up to the next prompt."""
    lines = []
    seen = guest.prompts
    guest.type(text + "\n")
    guest.wait_prompt(seen, time.monotonic() + timeout,
                      "%s: no prompt within %g s" % (text, timeout), lines.append)
    # The first line is the echo of what was typed.
    return [l for l in lines if text not in l]


def step(tap, guest, text, want, name, timeout):
    """Runs one command and records whether a line equal to want appeared."""
    answer = command(guest, text, timeout)
    ok = any(l.strip() == want for l in answer)
    tap.result(ok, name)
    if not ok:
        tap.diag("console said:")
        for l in answer:
            tap.diag("  " + l)
    return ok


def halt(tap, guest, name):
    powered_off = guest.halt()
    tap.result(powered_off, name)
    if not powered_off:
        tap.diag("guest did not power off after halt; QEMU was killed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--disk", required=True)
    ap.add_argument("--harts", type=int, default=2)
    ap.add_argument("--mem", type=int, default=128)
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds allowed for each boot's command")
    ap.add_argument("--qemu", default=os.environ.get("PAGODA_QEMU", "qemu-system-riscv64"),
                    help="QEMU binary (default: $PAGODA_QEMU or qemu-system-riscv64)")
    args = ap.parse_args()

    tap = harness.Tap()
    fd, disk = tempfile.mkstemp(prefix="pagoda-persist-", suffix=".img")
    os.close(fd)
    guest = None
    ok = False
    try:
        shutil.copyfile(args.disk, disk)

        guest = boot(args, disk)
        step(tap, guest, "mmaptest persist-write", "persist: written",
             "boot 1: mmaptest persist-write stores through a shared mapping",
             args.timeout)
        halt(tap, guest, "boot 1: halt")
        guest = None

        guest = boot(args, disk)
        step(tap, guest, "mmaptest persist-check", "persist: ok",
             "boot 2: the stores reached the disk (written back at exit)", args.timeout)
        halt(tap, guest, "boot 2: halt")
        guest = None

        tap.plan()
        ok = tap.failed == 0
    except harness.Abort as e:
        if guest:
            guest.stop()
        tap.bail(e.message, e.details)
    except KeyboardInterrupt:
        if guest:
            guest.stop()
        tap.bail("interrupted")
    finally:
        if guest and guest.proc.poll() is None:
            guest.stop()
        try:
            os.unlink(disk)
        except OSError:
            pass
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
