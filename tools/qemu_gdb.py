#!/usr/bin/env python3
"""Starts Pagoda under QEMU stopped at the first instruction, waiting for a debugger.

Run by `ninja qemu-gdb`: argv[1] is the kernel ELF (for its symbols), the rest is the full
QEMU command line, which already carries -S -gdb tcp::PORT. This prints how to attach and
then becomes QEMU, so the console stays in this terminal and Ctrl-A x still quits.
"""

import os
import re
import shutil
import sys


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: qemu_gdb.py KERNEL_ELF QEMU [QEMU ARGS...]\n")
        return 2
    elf, qemu = sys.argv[1], sys.argv[2:]

    port = "26000"
    for i, arg in enumerate(qemu):
        m = re.match(r"tcp::(\d+)$", arg)
        if m and i > 0 and qemu[i - 1] == "-gdb":
            port = m.group(1)

    gdb = next((g for g in ("gdb-multiarch", "riscv64-elf-gdb", "riscv64-unknown-elf-gdb",
                            "riscv64-linux-gnu-gdb") if shutil.which(g)), "gdb-multiarch")
    print("QEMU is waiting for a debugger on port %s. In another terminal run one of:" % port)
    print("  %s -ex 'target remote :%s' %s" % (gdb, port, elf))
    print("  lldb %s -o 'gdb-remote %s'" % (elf, port))
    print("Quit QEMU with Ctrl-A x.")
    sys.stdout.flush()
    try:
        os.execvp(qemu[0], qemu)
    except OSError as e:
        sys.stderr.write("qemu_gdb.py: cannot run %s: %s\n" % (qemu[0], e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
