#!/usr/bin/env python3
"""Starts Pagoda under QEMU stopped at the first instruction, waiting for a debugger.

Run by `ninja qemu-gdb`:
  qemu_gdb.py --port PORT --script tools/gdb/pagoda.py KERNEL_ELF QEMU [QEMU ARGS...]
It adds -S -gdb for PORT (the meson option gdb_port, so two students on one machine can
each have their own), prints the gdb command line that loads the pagoda commands, and
then becomes QEMU, so the console stays in this terminal and Ctrl-A x still quits.
"""

import argparse
import os
import shlex
import shutil
import socket
import sys

GDBS = ("gdb-multiarch", "riscv64-elf-gdb", "riscv64-unknown-elf-gdb", "riscv64-linux-gnu-gdb")


def port_free(port):
    """QEMU would only say "could not open gdbserver" and stop: better say why first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--script", required=True, help="the gdb script to load (pagoda.py)")
    ap.add_argument("elf", help="the kernel ELF, for its symbols")
    ap.add_argument("qemu", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if not args.qemu:
        ap.error("no QEMU command line")

    if not port_free(args.port):
        sys.stderr.write("qemu_gdb.py: port %d is in use (another QEMU, or someone else's); "
                         "pick another with: meson configure BUILD -Dgdb_port=N\n" % args.port)
        return 1

    gdb = next((g for g in GDBS if shutil.which(g)), None)
    script, elf = os.path.abspath(args.script), os.path.abspath(args.elf)
    target = "target remote localhost:%d" % args.port
    print("QEMU is waiting for a debugger on localhost:%d. In another terminal run:" % args.port)
    print("  %s -q -x %s -ex %s %s" % (gdb or "gdb-multiarch", shlex.quote(script),
                                        shlex.quote(target), shlex.quote(elf)))
    if gdb is None:
        print("  (gdb-multiarch is not installed: tools/pagoda installs it, or "
              "apt-get install gdb-multiarch)")
    print("then e.g. `break vm_fault`, `continue`, `pagoda ps`, `pagoda vmas` "
          "(see docs/debugging.md).")
    print("Without the pagoda commands: lldb %s -o 'gdb-remote %d'" % (shlex.quote(elf),
                                                                        args.port))
    print("Quit QEMU with Ctrl-A x.")
    sys.stdout.flush()
    qemu = args.qemu + ["-S", "-gdb", "tcp:127.0.0.1:%d" % args.port]
    try:
        os.execvp(qemu[0], qemu)
    except OSError as e:
        sys.stderr.write("qemu_gdb.py: cannot run %s: %s\n" % (qemu[0], e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
