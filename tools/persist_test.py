#!/usr/bin/env python3
"""Checks that a shared mapping's stores survive a reboot when only exit() wrote them back.

Boots Pagoda twice on one copy of the disk image. The first boot runs
`mmaptest persist-write`, which creates /persist.txt, maps it MAP_SHARED, stores a pattern
and exits without msync or munmap; then the guest is halted. The second boot runs
`mmaptest persist-check`, which reads the file with read() and prints "persist: ok" or
"persist: FAIL ...". Output is TAP for meson; the console transcript goes to stderr.

Usage: persist_test.py --kernel K --disk D [--swap IMG] [--harts N] [--mem M] [--timeout S]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (QEMU sessions, console conversations, TAP output)


def halt(tap, guest, name):
    powered_off = guest.halt()
    tap.result(powered_off, name)
    if not powered_off:
        tap.diag("guest did not power off after halt; QEMU was killed")


def boot_and_run(session, tap, command, want, name, timeout):
    """One boot of the shared disk copy: run command, expect the line want, power off."""
    deadline = time.monotonic() + timeout
    guest = session.boot(deadline)
    ok = harness.run_script(guest, tap, [(command, harness.check_line(want), name)],
                            deadline, timeout)
    halt(tap, guest, name.split(":")[0] + ": halt")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_guest_args(ap, 120.0)
    args = ap.parse_args()

    tap = harness.Tap()
    with harness.Session(args, tap, "pagoda-persist-") as session:
        boot_and_run(session, tap, "mmaptest persist-write", "persist: written",
                     "boot 1: mmaptest persist-write stores through a shared mapping",
                     args.timeout)
        boot_and_run(session, tap, "mmaptest persist-check", "persist: ok",
                     "boot 2: the stores reached the disk (written back at exit)",
                     args.timeout)
        tap.plan()
        session.ok = tap.failed == 0
    return 0 if session.ok else 1


if __name__ == "__main__":
    sys.exit(main())
