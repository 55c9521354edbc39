# Pagoda's gdb extension: the `pagoda` commands that show the VM of a live kernel.
#
# Load it with `gdb-multiarch -x tools/gdb/pagoda.py build/pagoda.elf` (the command that
# `ninja -C build qemu-gdb` prints does). The code lives in the pagodagdb package next to
# this file, one module per command; this file only puts it on gdb's Python path.
import os
import sys

_here = os.path.dirname(os.path.abspath(os.path.expanduser(__file__)))
if _here not in sys.path:
    sys.path.insert(0, _here)

import pagodagdb  # noqa: E402  (needs the path above)

pagodagdb.register()
