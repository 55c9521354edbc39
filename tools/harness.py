#!/usr/bin/env python3
"""Boots Pagoda under QEMU, drives the serial console and reports the results as TAP.

meson runs this for every in-guest suite. Standard output carries only TAP (plus "# "
diagnostics), because meson parses it; the raw console transcript goes to standard error,
where it lands in meson's test log.

Modes:
  --run CMD        type CMD at the shell prompt and turn the guest's "ok N - name" and
                   "not ok N - name" lines into TAP, until the "<prog>: P passed, F failed"
                   (", S skipped") summary line;
  --script NAME    run a built-in console conversation (see SCRIPTS) and check each answer;
  --show CMD       run CMD and copy its output (benchmarks);
  --soak MINUTES   run `stress` for that long (or $PAGODA_SOAK_MINUTES) and print its figures.

Whatever happens, the guest is stopped: by typing "halt" when the run is complete, and by
killing QEMU when the kernel panicked, the run timed out or the guest never comes back.
A run that times out is diagnosed: if the console had gone quiet, the guest is reported as
hung, and the process list (^P) is collected with the last console lines. --quiet-timeout
gives up as soon as the console has been silent that long.

--fsck FSCK checks the run's copy of the disk after the guest powered off.

--hog N runs N busy host processes beside QEMU for the whole run, so that the guest's
vCPU threads lose the host CPU at random moments (what once exposed a lost disk interrupt).

The disk image is copied first, so a run never changes the image the build produced.
--swap IMG attaches a private copy of IMG as the second virtio disk, Pagoda's swap device
(virtio-mmio-bus.1; the file system stays on bus 0, disk 0); --swap-mib N attaches a fresh
zero-filled one of N MiB instead. Without either the guest has no swap device.
"""

import argparse
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PROMPT = "$ "
BOOT_TIMEOUT = 60.0   # seconds from QEMU start to the first shell prompt
HALT_TIMEOUT = 10.0   # seconds QEMU gets to power off after "halt"
PANIC_GRACE = 2.0     # seconds spent collecting the backtrace that follows a panic line
TAIL_LINES = 40       # console lines shown when a run fails without a panic
HUNG_SILENCE = 10.0   # a timeout after this long without console output is a hung guest
PS_WAIT = 3.0         # seconds spent collecting the ^P process list of a hung guest

RE_RESULT = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$")
RE_SUMMARY = re.compile(r"^(\S+): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\b")
RE_PANIC = re.compile(r"\bpanic\b")
# A program's own watchdog saw a process stuck in the kernel (stress, disktest).
RE_HUNG = re.compile(r"^\S+: hung: ")


class Abort(Exception):
    """Ends the run early: the message becomes the Bail out! line."""

    def __init__(self, message, details=()):
        super().__init__(message)
        self.message = message
        self.details = list(details)


class Tap:
    """Writes TAP to stdout, numbering the cases itself so that the plan always matches."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    @staticmethod
    def emit(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def diag(self, text):
        for part in text.splitlines() or [""]:
            self.emit("# " + part)

    def result(self, ok, name, note=None):
        self.count += 1
        if not ok:
            self.failed += 1
        directive = ""
        # meson rejects any directive but SKIP and TODO, so other "# ..." notes become
        # diagnostic lines of their own.
        if note and re.match(r"(?i)(skip|todo)\b", note):
            directive, note = " # " + note, None
        self.emit("%s %d - %s%s" % ("ok" if ok else "not ok", self.count, name, directive))
        if note:
            self.diag(note)

    def plan(self):
        self.emit("1..%d" % self.count)

    def bail(self, message, details=()):
        self.emit("Bail out! " + message)
        for d in details:
            self.diag(d)


class Guest:
    """One QEMU process and its console: line splitting, prompt counting, panic watch."""

    # Whether the raw console goes to stderr. --show prints the program's lines itself, and
    # a run target shows both streams, so there it is off or every line would appear twice.
    transcript = True

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=0)
        self.chunks = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.partial = ""      # text after the last newline
        self.lines = []        # every complete console line so far
        self.pending = []      # complete lines not yet handed to the caller
        self.prompts = 0       # how many times the shell prompt has appeared
        self.eof = False
        self.panic_at = None   # index in self.lines of the first panic line
        self.hung_at = None    # index in self.lines of the first "<prog>: hung:" line
        self.last_output = time.monotonic()
        self.quiet_timeout = None  # seconds of console silence that mean "hung"

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            self.chunks.put(data)
            if not data:
                return

    def type(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # QEMU is gone; the read side will notice

    def _feed(self, data):
        self.last_output = time.monotonic()
        if self.transcript:
            TRANSCRIPT.write(data.decode("utf-8", "replace"))
            TRANSCRIPT.flush()
        for ch in data.decode("latin-1"):
            if ch == "\n":
                line = self.partial.replace("\r", "")
                self.partial = ""
                self.lines.append(line)
                self.pending.append(line)
                if self.panic_at is None and RE_PANIC.search(line):
                    self.panic_at = len(self.lines) - 1
                if self.hung_at is None and RE_HUNG.match(line):
                    self.hung_at = len(self.lines) - 1
            elif ch != "\r":
                self.partial += ch
                if self.partial.endswith(PROMPT):
                    self.prompts += 1

    def pump(self, deadline):
        """Waits for console output until deadline; False once QEMU has closed its side."""
        if self.eof:
            return False
        if self.quiet_timeout:
            # Wake up when the silence becomes a hang, so that check() can say so.
            deadline = min(deadline, self.last_output + self.quiet_timeout + 0.05)
        timeout = max(0.0, deadline - time.monotonic())
        try:
            data = self.chunks.get(timeout=timeout)
        except queue.Empty:
            return True
        if not data:
            self.eof = True
            if self.partial:
                self._feed(b"\n")
            return False
        self._feed(data)
        # Take whatever else has already arrived without waiting.
        while True:
            try:
                more = self.chunks.get_nowait()
            except queue.Empty:
                break
            if not more:
                self.eof = True
                if self.partial:
                    self._feed(b"\n")
                break
            self._feed(more)
        return not self.eof

    def take_lines(self):
        out, self.pending = self.pending, []
        return out

    def tail(self, n=TAIL_LINES):
        lines = self.lines[-n:]
        if self.partial:
            lines = lines + [self.partial]
        return lines

    def panic_report(self):
        """Collects the panic line and the backtrace after it (until quiet or grace ends)."""
        end = time.monotonic() + PANIC_GRACE
        quiet = 0
        while time.monotonic() < end and not self.eof and quiet < 2:
            before = len(self.lines) + len(self.partial)
            self.pump(min(end, time.monotonic() + 0.5))
            quiet = quiet + 1 if len(self.lines) + len(self.partial) == before else 0
        report = self.lines[self.panic_at:self.panic_at + 60]
        if self.partial and len(report) < 60:
            report.append(self.partial)
        return symbolize(report)

    def hang_report(self):
        """The last console lines, then the process list the kernel prints for ^P."""
        tail = self.tail()
        seen = len(self.lines)
        self.type("\x10")
        end = time.monotonic() + PS_WAIT
        while time.monotonic() < end and not self.eof:
            self.pump(min(end, time.monotonic() + 0.2))
        ps = [l for l in self.lines[seen:] if l.strip()]
        if self.partial.strip():
            ps.append(self.partial)
        return tail + ["process list (^P), %s:" % ("after the tail above" if ps else
                                                   "no answer: interrupts are not served")] \
            + ["  " + l for l in ps]

    def check(self, deadline, what):
        """Raises Abort on panic, timeout or early exit; call after every pump."""
        if self.panic_at is not None:
            raise Abort("kernel panic", self.panic_report())
        if self.eof:
            rc = self.proc.wait()
            raise Abort("QEMU exited early (status %s)" % rc, self.tail())
        if self.hung_at is not None:
            # Let the watchdog finish its report (one line per stuck process).
            end = time.monotonic() + PANIC_GRACE
            while time.monotonic() < end and not self.eof:
                self.pump(end)
            raise Abort("guest hung: " + self.lines[self.hung_at], self.hang_report())
        now = time.monotonic()
        silent = now - self.last_output
        if self.quiet_timeout and silent >= self.quiet_timeout:
            raise Abort("guest hung: no console output for %d s (%s)" % (silent, what),
                        self.hang_report())
        if now >= deadline:
            if silent >= HUNG_SILENCE:
                what += ": the guest hung (no console output for the last %d s)" % silent
            else:
                what += " (the guest was still printing)"
            raise Abort(what, self.hang_report())

    def wait_prompt(self, seen, deadline, what, on_line=None):
        """Pumps until more than `seen` prompts have appeared, handing lines to on_line."""
        while True:
            for line in self.take_lines():
                if on_line:
                    on_line(line)
            self.check(deadline, what)
            if self.prompts > seen:
                return
            self.pump(deadline)

    def halt(self):
        """Asks the guest to power off; kills QEMU if it is still running after a while."""
        if self.proc.poll() is None:
            self.type("halt\n")
            end = time.monotonic() + HALT_TIMEOUT
            while self.proc.poll() is None and time.monotonic() < end:
                self.pump(min(end, time.monotonic() + 0.2))
        return self.stop()

    def stop(self):
        """Kills QEMU if it still runs; returns True if it had already exited."""
        exited = self.proc.poll() is not None
        if not exited:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        # Drain what the reader thread saw, so the transcript on stderr is complete.
        end = time.monotonic() + 5.0
        while not self.eof and time.monotonic() < end:
            self.pump(min(end, time.monotonic() + 0.1))
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        return exited


def run_program(guest, tap, command, deadline, timeout):
    """Types command and converts its output to TAP until its summary line."""
    summary = {}

    def on_line(line):
        m = RE_RESULT.match(line)
        if m:
            ok = m.group(1) == "ok"
            desc = m.group(3).strip()
            note = None
            if " # " in " " + desc:
                desc, _, note = (" " + desc).partition(" # ")
                desc = desc.strip()
            tap.result(ok, desc or "(unnamed)", note)
            return
        m = RE_SUMMARY.match(line)
        if m and "passed" in line:
            summary["prog"], summary["passed"], summary["failed"] = \
                m.group(1), int(m.group(2)), int(m.group(3))
            summary["skipped"] = int(m.group(4) or 0)
            return
        # After a panic the Bail out! report shows the console; do not print it twice.
        if line.strip() and guest.panic_at is None:
            tap.emit(line if line.startswith("#") else "# " + line)

    seen = guest.prompts
    guest.type(command + "\n")
    what = "timeout after %g s" % timeout
    # The command has finished when the shell prompts again; it should have printed its
    # summary by then.
    while not summary:
        for line in guest.take_lines():
            on_line(line)
            if summary:
                break
        if summary:
            break
        guest.check(deadline, what)
        if guest.prompts > seen:
            for line in guest.take_lines():
                on_line(line)
            if not summary:
                raise Abort("%s ended without a summary line" % command.split()[0],
                            guest.tail())
            break
        guest.pump(deadline)
    # Lines printed after the summary (before the prompt) still belong to the transcript.
    for line in guest.take_lines():
        on_line(line)
    total = summary["passed"] + summary["failed"] + summary["skipped"]
    ok = True
    if total != tap.count or summary["failed"] != tap.failed:
        tap.diag("guest summary says %d passed, %d failed, but %d results (%d failed) "
                 "were seen" % (summary["passed"], summary["failed"], tap.count, tap.failed))
        ok = False
    return ok


def show_program(guest, command, deadline, timeout):
    """Types command and copies its output to stdout until the shell prompts again."""
    seen = guest.prompts
    guest.type(command + "\n")
    while guest.prompts == seen:
        for line in guest.take_lines():
            print(line, flush=True)
        guest.check(deadline, "timeout after %g s" % timeout)
        guest.pump(deadline)
    for line in guest.take_lines():
        print(line, flush=True)
    return True


def check_wc(line):
    return line.split() == ["1", "1", "6"]


def check_ls(line):
    return line.startswith("README.md")


def check_cat(line):
    return line.strip() == "abc"


def check_procdump(line):
    return re.match(r"^\s*1\s+\S+\s+init\s*$", line) is not None


def check_line(text):
    return lambda line: line.strip() == text


# Console conversations: (what to type, how to recognise the right answer, test name).
# A newline is typed after each; the console's line editing is exercised with control
# characters: DEL erases a character, ^U the line, ^D ends input, ^P lists processes.
SCRIPTS = {
    "console": [
        ("echo hello | wc", check_wc, "echo hello | wc"),
        ("ls", check_ls, "ls lists README.md first"),
        ("echo abc > f1 ; cat f1", check_cat, "echo abc > f1 ; cat f1"),
        ("echo abX\x7fc", check_line("abc"), "backspace erases a character"),
        ("echo wrong\x15echo right", check_line("right"), "^U erases the line"),
        ("\x10echo listed", check_procdump, "^P lists processes (init is pid 1)"),
        # Last: the newline typed after ^D reaches the shell as an extra empty command.
        ("wc\nx y\n\x04", check_line("1 2 4"), "^D ends wc's input"),
    ],
}


def run_script(guest, tap, steps, deadline, timeout):
    ok = True
    for command, good, name in steps:
        found = []
        seen = guest.prompts
        guest.type(command + "\n")
        guest.wait_prompt(seen, deadline, "timeout after %g s" % timeout,
                          lambda line: found.append(line))
        # The first line is the echo of what was typed; the answer comes after it.
        answer = [l for l in found if command not in l]
        hit = any(good(l) for l in answer)
        tap.result(hit, name)
        if not hit:
            ok = False
            tap.diag("console said:")
            for l in answer:
                tap.diag("  " + l)
    return ok


KERNEL_ELF = None     # set from --kernel: pagoda.bin's ELF twin, for symbolizing backtraces
TRANSCRIPT = sys.stderr  # where the raw console goes (a log file for --soak)
RE_FRAME = re.compile(r"#\d+ (0x[0-9a-f]+)\s*$")


def symbolize(lines):
    """Appends function and file:line to backtrace frames, if llvm-addr2line can say."""
    addrs = [m.group(1) for m in map(RE_FRAME.search, lines) if m]
    if not addrs or not KERNEL_ELF or not os.path.exists(KERNEL_ELF):
        return lines
    try:
        out = subprocess.run(["llvm-addr2line", "-f", "-C", "-e", KERNEL_ELF] + addrs,
                             capture_output=True, text=True, timeout=10).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return lines
    names = {a: "%s %s" % (out[2 * i], os.path.relpath(out[2 * i + 1]) if out[2 * i + 1][:1] == "/"
                              else out[2 * i + 1])
             for i, a in enumerate(addrs) if 2 * i + 1 < len(out)}
    result = []
    for line in lines:
        m = RE_FRAME.search(line)
        result.append(line + "  " + names[m.group(1)] if m and m.group(1) in names else line)
    return result


def disk_argv(disk, swap=None):
    """QEMU's options for the file-system disk (virtio disk 0) and the swap disk, if any."""
    argv = ["-drive", "file=%s,if=none,format=raw,id=x0" % disk,
            "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]
    if swap:
        argv += ["-drive", "file=%s,if=none,format=raw,id=x1" % swap,
                 "-device", "virtio-blk-device,drive=x1,bus=virtio-mmio-bus.1"]
    return argv


def qemu_argv(args, disk, swap=None):
    return [args.qemu, "-machine", "virt", "-bios", "default", "-m", "%dM" % args.mem,
            "-smp", str(args.harts), "-nographic",
            "-global", "virtio-mmio.force-legacy=false",
            "-kernel", args.kernel] + disk_argv(disk, swap)


def copy_sparse(src, dst):
    """Copies src to dst, seeking over zero-filled stretches instead of writing them: a
    swap image is mostly zeros, and its copy need not take its size in time or space."""
    chunk = 1 << 20
    zeros = bytes(chunk)
    with open(src, "rb") as f, open(dst, "wb") as g:
        while True:
            data = f.read(chunk)
            if not data:
                break
            if data == zeros[:len(data)]:
                g.seek(len(data), os.SEEK_CUR)
            else:
                g.write(data)
        g.truncate()  # the size, even if the image ends in zeros


def make_swap(args, prefix):
    """The run's private swap image as --swap or --swap-mib ask, or None for no swap disk."""
    if not getattr(args, "swap", None) and not getattr(args, "swap_mib", None):
        return None
    fd, path = tempfile.mkstemp(prefix=prefix, suffix="-swap.img")
    os.close(fd)
    if args.swap:
        copy_sparse(args.swap, path)
    else:
        with open(path, "wb") as f:
            f.truncate(args.swap_mib << 20)
    return path


def add_guest_args(ap, timeout):
    """The options every QEMU-driving script takes."""
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--disk", required=True)
    ap.add_argument("--harts", type=int, default=2)
    ap.add_argument("--mem", type=int, default=128)
    ap.add_argument("--timeout", type=float, default=timeout)
    ap.add_argument("--qemu", default=os.environ.get("PAGODA_QEMU", "qemu-system-riscv64"),
                    help="QEMU binary (default: $PAGODA_QEMU or qemu-system-riscv64)")
    ap.add_argument("--hog", type=int, default=0, metavar="N",
                    help="run N busy host processes beside QEMU (host load)")
    ap.add_argument("--quiet-timeout", type=float, default=None, metavar="S",
                    help="give up, reporting a hung guest, after S s without console output")
    ap.add_argument("--fsck", metavar="FSCK",
                    help="after a clean power-off, check the run's disk copy with this fsck")
    swap = ap.add_mutually_exclusive_group()
    swap.add_argument("--swap", metavar="IMG",
                      help="attach a private copy of IMG as the swap disk (virtio disk 1)")
    swap.add_argument("--swap-mib", type=int, metavar="N",
                      help="attach a fresh zero-filled swap disk of N MiB (virtio disk 1)")


# A host CPU hog: busy for a random few milliseconds, now and then asleep for a moment, so
# that the host scheduler takes the CPU from QEMU's vCPU threads at varying points. It
# exits when its parent does, so a harness killed by meson leaves no spinning orphans.
HOG_CODE = r"""
import os, random, time
parent = os.getppid()
random.seed(os.getpid())
while os.getppid() == parent:
    end = time.monotonic() + random.uniform(0.001, 0.05)
    while time.monotonic() < end:
        pass
    if random.random() < 0.3:
        time.sleep(random.uniform(0, 0.01))
"""


def start_hogs(n):
    return [subprocess.Popen([sys.executable, "-c", HOG_CODE]) for _ in range(n)]


def stop_hogs(hogs):
    for h in hogs:
        if h.poll() is None:
            h.kill()
    for h in hogs:
        try:
            h.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


class Session:
    """A private copy of the disk image (and of the swap image, if any: self.swap, or
    None) and the QEMU runs on them, for a `with` block.

    boot() starts QEMU and waits for the shell prompt. Leaving the block stops any QEMU
    still running and deletes the copies; an Abort (panic, timeout, early exit) or ^C inside
    it becomes a "Bail out!" line and leaves ok False.
    """

    def __init__(self, args, tap, prefix="pagoda-"):
        global KERNEL_ELF
        KERNEL_ELF = os.path.splitext(args.kernel)[0] + ".elf"
        self.args, self.tap, self.prefix = args, tap, prefix
        self.guests = []
        self.hogs = []
        self.swap = None
        self.ok = False

    def __enter__(self):
        fd, self.disk = tempfile.mkstemp(prefix=self.prefix, suffix=".img")
        os.close(fd)
        shutil.copyfile(self.args.disk, self.disk)
        self.swap = make_swap(self.args, self.prefix)
        # meson stops a test that runs too long with SIGTERM: clean up as for ^C.
        signal.signal(signal.SIGTERM, _interrupt)
        if getattr(self.args, "hog", 0) > 0:
            self.hogs = start_hogs(self.args.hog)
            self.tap.diag("host load: %d busy processes beside QEMU" % self.args.hog)
        return self

    def boot(self, deadline):
        start = time.monotonic()
        try:
            guest = Guest(qemu_argv(self.args, self.disk, self.swap))
        except OSError as e:
            raise Abort("cannot start %s: %s" % (self.args.qemu, e))
        self.guests.append(guest)
        guest.quiet_timeout = getattr(self.args, "quiet_timeout", None)
        boot_deadline = min(deadline, start + BOOT_TIMEOUT)
        guest.wait_prompt(0, boot_deadline, "no shell prompt within %g s of boot"
                          % (boot_deadline - start))
        return guest

    def __exit__(self, kind, value, tb):
        for guest in self.guests:
            if guest.proc.poll() is None:
                guest.stop()
        stop_hogs(self.hogs)
        for path in (self.disk, self.swap):
            try:
                if path:
                    os.unlink(path)
            except OSError:
                pass
        if kind is Abort:
            self.tap.bail(value.message, value.details)
        elif kind is KeyboardInterrupt:
            self.tap.bail("interrupted")
        else:
            return False
        self.ok = False
        return True


def check_disk(fsck, disk, tap):
    """After a clean power-off the image must be consistent: one more TAP result."""
    try:
        r = subprocess.run([fsck, "-q", disk], capture_output=True, text=True, timeout=300)
        rc, out = r.returncode, (r.stdout + r.stderr).splitlines()
    except (OSError, subprocess.SubprocessError) as e:
        rc, out = -1, [str(e)]
    tap.result(rc == 0, "fsck: the disk is consistent after the run")
    if rc != 0:
        for line in out[:60]:
            tap.diag("  " + line)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


RE_TOTALS = re.compile(r"^# totals: (.*)$")
RE_SEED = re.compile(r"^stress: seed (\d+)")


def soak_setup(args):
    """Turns --soak MINUTES into the stress command and a timeout that fits it."""
    minutes = float(os.environ.get("PAGODA_SOAK_MINUTES", args.soak))
    command = "stress -t %d" % max(1, int(minutes * 60))
    if os.environ.get("PAGODA_SOAK_SEED"):
        command += " -s " + os.environ["PAGODA_SOAK_SEED"]
    if os.environ.get("PAGODA_SOAK_ARGS"):
        command += " " + os.environ["PAGODA_SOAK_ARGS"]
    # Rounds take a little longer than their stress time (setup, checks, cleanup), and
    # much longer on a loaded host.
    args.timeout = max(args.timeout, minutes * 60 * 3 + 600)
    # Half an hour of console does not belong on the terminal: it goes to a log.
    global TRANSCRIPT
    log = os.path.join(os.environ.get("MESON_BUILD_ROOT", "."), "soak-console.log")
    TRANSCRIPT = open(log, "w")
    return minutes, command


def soak_report(args, minutes, command, session, tap, start):
    """The figures of a soak run, from the guest's console."""
    lines = session.guests[0].lines if session.guests else []
    seed = next((m.group(1) for m in map(RE_SEED.match, lines) if m), "?")
    totals = next((m.group(1) for m in map(RE_TOTALS.match, reversed(lines)) if m), None)
    rounds = [l for l in lines if re.match(r"^(not )?ok \d+ - round-", l)]
    failed = [l for l in rounds if l.startswith("not ok")]
    print("soak: %g min of `%s` on %d harts, %d min %d s wall clock" %
          (minutes, command, args.harts, (time.monotonic() - start) // 60,
           (time.monotonic() - start) % 60))
    print("soak: seed %s (replay a round K with: stress -s %s round-K)" % (seed, seed))
    print("soak: %d rounds: %d passed, %d failed" %
          (len(rounds), len(rounds) - len(failed), len(failed)))
    for l in failed:
        print("soak:   " + l)
    print("soak: " + (totals or "no totals line: the run did not finish"))
    print("soak: console transcript in %s" % os.path.abspath(TRANSCRIPT.name))
    print("soak: result: %s" % ("PASS" if session.ok else "FAIL"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_guest_args(ap, 600.0)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--run", metavar="CMD")
    mode.add_argument("--script", choices=sorted(SCRIPTS))
    mode.add_argument("--show", metavar="CMD",
                      help="run CMD and print its output as it is (benchmarks), not TAP")
    mode.add_argument("--soak", type=float, metavar="MINUTES",
                      help="run stress for MINUTES ($PAGODA_SOAK_MINUTES overrides) and "
                           "print the run's figures")
    args = ap.parse_args()

    soak = None
    if args.soak is not None:
        soak = soak_setup(args)
        args.run = soak[1]
    start = time.monotonic()
    tap = Tap()
    Guest.transcript = not args.show
    with Session(args, tap) as session:
        deadline = time.monotonic() + args.timeout
        guest = session.boot(deadline)
        if args.show:
            show_program(guest, args.show, deadline, args.timeout)
            guest.halt()
            return 0
        if args.run:
            ok = run_program(guest, tap, args.run, deadline, args.timeout)
        else:
            ok = run_script(guest, tap, SCRIPTS[args.script], deadline, args.timeout)
        if not guest.halt():
            tap.diag("guest did not power off within %g s of halt; QEMU was killed"
                     % HALT_TIMEOUT)
        elif args.fsck:
            check_disk(args.fsck, session.disk, tap)
        tap.plan()
        session.ok = ok and tap.failed == 0 and tap.count > 0
    if soak:
        soak_report(args, soak[0], soak[1], session, tap, start)
    return 0 if session.ok else 1


if __name__ == "__main__":
    sys.exit(main())
