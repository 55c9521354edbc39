#!/usr/bin/env python3
"""The gdb test: boots Pagoda halted under QEMU and drives gdb-multiarch through the pagoda
commands (tools/gdb/check_commands.py runs inside gdb and writes the TAP lines).

This side owns what gdb cannot: a free port, a copy of the disk (and of the swap disk,
with --swap), the console (a pair of FIFOs: the checks type a command into CONSOLE.in,
and what the guest prints is copied to the log from CONSOLE.out), a time limit, and
killing QEMU and gdb whatever happens. gdb's own output goes to standard error (the test
log); standard output is TAP only.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (the disks' QEMU options, the swap image's copy)


def bail(message):
    print("Bail out! " + message)
    sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_qemu(args, disk, swap, console):
    """console: the FIFOs' prefix (QEMU's pipe character device opens PREFIX.in/.out)."""
    """QEMU halted at its first instruction, listening for gdb; (process, port)."""
    for _ in range(5):
        port = free_port()  # another process may take it before QEMU does: then retry
        cmd = ["qemu-system-riscv64", "-machine", "virt", "-bios", "default",
               "-m", "%dM" % args.mem, "-smp", str(args.harts), "-display", "none",
               "-monitor", "none", "-chardev", "pipe,id=con,path=" + console,
               "-serial", "chardev:con",
               "-global", "virtio-mmio.force-legacy=false", "-kernel", args.kernel] \
            + harness.disk_argv(disk, swap) + ["-S", "-gdb", "tcp:127.0.0.1:%d" % port]
        qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sys.stderr,
                                stderr=sys.stderr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and qemu.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return qemu, port
            except OSError:
                time.sleep(0.1)
        stop(qemu)
    bail("QEMU never listened for gdb")


def drain(path, into):
    """Keeps reading the guest's console, so that QEMU never blocks on a full pipe."""
    with open(path, "rb", buffering=0) as f:
        while True:
            data = f.read(4096)
            if not data:
                return
            into.append(data)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", required=True, help="pagoda.bin")
    ap.add_argument("--elf", required=True, help="pagoda.elf (userland/ is next to it)")
    ap.add_argument("--disk", required=True)
    ap.add_argument("--swap", help="swap disk image: a copy is attached as virtio disk 1")
    ap.add_argument("--script", required=True, help="tools/gdb/pagoda.py")
    ap.add_argument("--check", required=True, help="tools/gdb/check_commands.py")
    ap.add_argument("--harts", type=int, default=2)
    ap.add_argument("--mem", type=int, default=128)
    ap.add_argument("--timeout", type=float, default=240)
    args = ap.parse_args()

    gdb = shutil.which("gdb-multiarch")
    if gdb is None:
        bail("gdb-multiarch is not installed: tools/pagoda installs it "
             "(or apt-get install gdb-multiarch)")
    if shutil.which("qemu-system-riscv64") is None:
        bail("qemu-system-riscv64 is not installed: tools/pagoda installs it")

    with tempfile.TemporaryDirectory(prefix="pagoda-gdb-") as tmp:
        disk = os.path.join(tmp, "fs.img")
        shutil.copyfile(args.disk, disk)
        swap = None
        if args.swap:
            swap = os.path.join(tmp, "swap.img")
            harness.copy_sparse(args.swap, swap)
        console = os.path.join(tmp, "console")
        os.mkfifo(console + ".in")
        os.mkfifo(console + ".out")
        transcript = []
        tap_file = os.path.join(tmp, "tap.txt")
        qemu, port = start_qemu(args, disk, swap, console)
        threading.Thread(target=drain, args=(console + ".out", transcript), daemon=True).start()
        timed_out = False
        try:
            env = dict(os.environ, PAGODA_TAP=tap_file, PAGODA_CONSOLE=console + ".in")
            cmd = [gdb, "-batch", "-nx", "-x", args.script,
                   "-ex", "set pagination off", "-ex", "target remote localhost:%d" % port,
                   "-x", args.check, args.elf]
            sys.stderr.write("# " + " ".join(cmd) + "\n")
            sys.stderr.flush()
            gdbp = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sys.stderr,
                                    stderr=sys.stderr, env=env, start_new_session=True)
            try:
                gdbp.wait(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(gdbp.pid, 9)
                gdbp.wait()
        finally:
            stop(qemu)
        # Prefixed, so that the guest's own "ok N" lines are not taken for this test's.
        text = b"".join(transcript).decode(errors="replace")
        sys.stderr.write("".join("console| %s\n" % line for line in text.splitlines()))
        lines = open(tap_file).read().splitlines() if os.path.exists(tap_file) else []

    for line in lines:
        print(line)
    if timed_out:
        bail("gdb did not finish within %.0f seconds" % args.timeout)
    if not any(line.startswith("1..") for line in lines):
        bail("the checks inside gdb never finished (gdb exit status %d): see the log"
             % gdbp.returncode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
