"""Pagoda's gdb commands, one module each; tools/gdb/pagoda.py loads this package.

  kmem     reading kernel memory in any mode (physical reads, the kernel's translation)
  sv39     the page-table walk, as pure logic
  procs    proc_table, cpus, the current process; pagoda ps
  vmas     address spaces, the VMA tree, backing objects; pagoda vmas
  pte      pagoda pte
  pcache   pagoda pcache
  user     user-program symbols; pagoda user, pagoda ubreak
"""

from . import command, pcache, procs, pte, user, vmas


def register():
    command.Pagoda()
    for cls in (procs.Ps, vmas.Vmas, pte.Pte, pcache.Pcache, user.User, user.Ubreak):
        cls()
    user.register_parameters()
