#!/usr/bin/env python3
"""Checks that file data survives a power-off: mapped stores, and write() + fsync().

Boots Pagoda three times on one copy of the disk image. The first boot runs
`mmaptest persist-write`, which creates /persist.txt, maps it MAP_SHARED, stores a pattern
and exits without msync or munmap; then the guest is halted. The second boot runs
`mmaptest persist-check`, which reads the file with read() and prints "persist: ok" or
"persist: FAIL ..."; then `pcachetest persist-write`, which writes /pcpersist with write()
and prints "pcpersist: written" once fsync() has returned, and at that line the power is
cut (QEMU killed, no halt): whatever is still only in the page cache is lost. The third
boot runs `pcachetest persist-check`, which must find every byte ("pcpersist: ok").
Output is TAP for meson; the console transcript goes to stderr.

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
        deadline = time.monotonic() + args.timeout
        guest = session.boot(deadline)
        harness.run_script(guest, tap, [
            ("mmaptest persist-check", harness.check_line("persist: ok"),
             "boot 2: the stores reached the disk (written back at exit)"),
            ("pcachetest persist-write", harness.check_line("pcpersist: written"),
             "boot 2: pcachetest persist-write writes a file with write() and fsync()")],
            deadline, args.timeout)
        # A power cut, not a halt: only what fsync() made durable may count.
        tap.result(not guest.stop(), "boot 2: the power is cut after fsync() returned")
        boot_and_run(session, tap, "pcachetest persist-check", "pcpersist: ok",
                     "boot 3: what write() + fsync() wrote is on the disk", args.timeout)
        tap.plan()
        session.ok = tap.failed == 0
    return 0 if session.ok else 1


if __name__ == "__main__":
    sys.exit(main())
