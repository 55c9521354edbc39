#!/usr/bin/env python3
"""Checks that every C file follows the project's .clang-format (TAP, one line per file).

Usage: check_format.py SOURCE_ROOT [CLANG_FORMAT]
Fix a failure with: clang-format -i FILE

userland/xv6/ is left out: it holds programs brought in from xv6 as they are, in their
own style (docs/xv6-compat.md).
"""
import os
import subprocess
import sys


def main():
    root = sys.argv[1]
    tool = sys.argv[2] if len(sys.argv) > 2 else "clang-format"
    files = []
    outside = os.path.join(root, "userland", "xv6")
    for top in ("src", "userland", "tools"):
        for dirpath, dirs, names in os.walk(os.path.join(root, top)):
            if dirpath == outside:
                dirs[:] = []
                continue
            files += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith((".c", ".h"))]
    files.sort()
    failed = 0
    for i, path in enumerate(files, 1):
        r = subprocess.run([tool, "--dry-run", "--Werror", path], capture_output=True, text=True)
        rel = os.path.relpath(path, root)
        if r.returncode == 0:
            print("ok %d - %s" % (i, rel))
        else:
            failed += 1
            print("not ok %d - %s" % (i, rel))
            for line in r.stderr.splitlines()[:6]:
                print("# " + line)
    print("1..%d" % len(files))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
