#!/usr/bin/env python3
"""check_layering.py: enforces Pagoda's include-layering rules, printing TAP.

Usage: check_layering.py SOURCE_ROOT      check the tree, then self-test the checker
       check_layering.py --self-test      only the self-test

The rules (see the architecture notes) keep mm's insides private:
  a. outside src/mm, the only mm header anyone includes is mm/mm.h;
  b. src/mm includes nothing from fs/, proc/, syscall/ or dev/;
  c. only src/mm and src/arch include pmap.h (the machine-dependent page-table layer);
  d. the trap code (src/arch/riscv/trap.c) includes no mm header but mm/mm.h;
  e. userland includes no kernel header from src/ except the ABI headers lib/abi/*.h.

A checker that silently passes everything is worse than none, so every normal run also
builds small trees that break each rule and reports, as further TAP lines, whether each
break was caught.
"""

import os
import re
import sys
import tempfile

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]')
SOURCE_EXTS = ('.c', '.h', '.S', '.s', '.inc')
FORBIDDEN_IN_MM = ('fs', 'proc', 'syscall', 'dev')
TRAP_FILE = 'src/arch/riscv/trap.c'
ABI_RE = re.compile(r'^lib/abi/[^/]+\.h$')

RULES = [
    ('a', 'outside src/mm only mm/mm.h is included from mm'),
    ('b', 'src/mm includes no fs, proc, syscall or dev headers'),
    ('c', 'only src/mm and src/arch include pmap.h'),
    ('d', 'the trap code includes no mm header but mm/mm.h'),
    ('e', 'userland includes no kernel header but lib/abi/*.h'),
]


def strip_comments(text):
    """Blanks out C comments, keeping newlines so line numbers stay right.

    String and character literals are skipped over so that a "/*" inside one does not
    start a comment; an #include hidden in a comment is not an include.
    """
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '/' and text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:end]))
            i = end
        elif c == '/' and text.startswith('//', i):
            end = text.find('\n', i)
            end = n if end < 0 else end
            out.append(' ' * (end - i))
            i = end
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def includes(path):
    """Yields (line number, included path) for each #include in a file."""
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            text = strip_comments(f.read())
    except OSError as e:
        print('# cannot read %s: %s' % (path, e))
        return
    for no, line in enumerate(text.split('\n'), 1):
        m = INCLUDE_RE.match(line)
        if m:
            yield no, m.group(2).strip()


def source_files(root, top):
    """Every C/assembly source or header under root/top, as paths relative to root."""
    base = os.path.join(root, top)
    found = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(SOURCE_EXTS):
                found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return [p.replace(os.sep, '/') for p in found]


def under(rel, top):
    return rel == top or rel.startswith(top + '/')


def inside(path, directory):
    """The path of `path` relative to `directory` if it lies inside it, else None."""
    rel = os.path.relpath(os.path.normpath(path), os.path.normpath(directory))
    if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return rel.replace(os.sep, '/')


def kernel_targets(root, rel_file, inc):
    """The src-relative headers a kernel include may name, resolved every plausible way.

    An include is looked up next to the including file and from src/ (the include path),
    and is also read textually with leading ./ ../ and src/ dropped, so that spellings such
    as "../mm/vma.h" are recognised wherever they appear.
    """
    src = os.path.join(root, 'src')
    fdir = os.path.dirname(os.path.join(root, rel_file))
    targets = set()
    for cand in (os.path.join(fdir, inc), os.path.join(src, inc)):
        rel = inside(cand, src)
        if rel:
            targets.add(rel)
    text = inc.replace('\\', '/')
    while text.startswith('./') or text.startswith('../'):
        text = text[2:] if text.startswith('./') else text[3:]
    if text.startswith('src/'):
        text = text[4:]
    text = os.path.normpath(text).replace(os.sep, '/')
    if text and not text.startswith('..') and not text.startswith('/'):
        targets.add(text)
    return targets


def user_target(root, rel_file, inc):
    """The src-relative kernel header a userland include resolves to, or None.

    Userland is built with userland/include and src/ on its include path; a header found
    first next to the file or in userland/include is userland's own, unless it is merely a
    symbolic link into src/.
    """
    src = os.path.join(root, 'src')
    fdir = os.path.dirname(os.path.join(root, rel_file))
    if os.path.isabs(inc):
        return inside(os.path.realpath(inc), os.path.realpath(src))
    for d in (fdir, os.path.join(root, 'userland', 'include')):
        cand = os.path.join(d, inc)
        if os.path.isfile(cand):
            return inside(os.path.realpath(cand), os.path.realpath(src))
    # Not userland's own: an explicit path into src/, or a header found through -Isrc.
    text = inc.replace('\\', '/')
    parts = text.split('/')
    if 'src' in parts[:-1]:
        last = max(i for i, p in enumerate(parts[:-1]) if p == 'src')
        return os.path.normpath('/'.join(parts[last + 1:])).replace(os.sep, '/')
    if os.path.isfile(os.path.join(src, inc)):
        return inside(os.path.join(src, inc), src)
    return None


def is_mm_private(targets):
    """True if the include names an mm header other than the public mm/mm.h."""
    mm = {t for t in targets if t.startswith('mm/')}
    return bool(mm) and not mm <= {'mm/mm.h'}


def check_tree(root):
    """Returns {rule: (offences, skip reason or None)}; offences are 'file:line: text'."""
    kernel = source_files(root, 'src')
    user = source_files(root, 'userland')
    result = {r: [] for r, _ in RULES}
    skips = {r: None for r, _ in RULES}

    if not kernel:
        for r in 'abcd':
            skips[r] = 'no sources under src/'

    for rel in kernel:
        in_mm = under(rel, 'src/mm')
        in_arch = under(rel, 'src/arch')
        for no, inc in includes(os.path.join(root, rel)):
            where = '%s:%d: #include "%s"' % (rel, no, inc)
            targets = kernel_targets(root, rel, inc)
            if not in_mm and is_mm_private(targets):
                result['a'].append(where)
            if in_mm and any(t.split('/')[0] in FORBIDDEN_IN_MM for t in targets):
                result['b'].append(where)
            if inc.replace('\\', '/').split('/')[-1] == 'pmap.h' and not (in_mm or in_arch):
                result['c'].append(where)
            if rel == TRAP_FILE and is_mm_private(targets):
                result['d'].append(where)

    for rel in user:
        for no, inc in includes(os.path.join(root, rel)):
            where = '%s:%d: #include "%s"' % (rel, no, inc)
            if inc.replace('\\', '/').split('/')[-1] == 'pmap.h':
                result['c'].append(where)
            target = user_target(root, rel, inc)
            if target is not None and not ABI_RE.match(target):
                result['e'].append(where + ' (src/%s)' % target)

    if kernel and not os.path.isfile(os.path.join(root, TRAP_FILE)):
        skips['d'] = '%s not present' % TRAP_FILE
    if not user:
        skips['e'] = 'no sources under userland/'
    return {r: (result[r], skips[r]) for r, _ in RULES}


# ---- self-test: trees that break each rule once ----

BASELINE = {
    'src/lib/types.h': '#pragma once\n',
    'src/lib/abi/stat.h': '#pragma once\n',
    'src/mm/mm.h': '#pragma once\n#include "lib/types.h"\n',
    'src/mm/vma.h': '#pragma once\n',
    'src/mm/mm_internal.h': '#pragma once\n#include "mm.h"\n#include "vma.h"\n',
    'src/mm/aspace.c': '#include "mm_internal.h"\n#include "arch/riscv/pmap.h"\n'
                       '#include "lib/types.h"\n/* mm may say fs/fs.h in prose */\n',
    'src/arch/riscv/pmap.h': '#pragma once\n',
    'src/arch/riscv/pmap.c': '#include "pmap.h"\n#include "mm/mm.h"\n',
    'src/arch/riscv/trap.c': '#include "mm/mm.h"\n#include "proc/proc.h"\n',
    'src/proc/proc.h': '#pragma once\n',
    'src/proc/proc.c': '#include "proc/proc.h"\n#include "mm/mm.h"\n'
                       '#include "../mm/mm.h"\n'
                       '/* #include "mm/vma.h" is what we must not do */\n'
                       '// #include "arch/riscv/pmap.h"\n'
                       '/* An old include, kept for the record:\n'
                       '#include "mm/vma.h"\n'
                       ' */\n'
                       'static const char *s = "/* not a comment";\n',
    'src/fs/fs.h': '#pragma once\n',
    'src/dev/dev.h': '#pragma once\n',
    'src/syscall/syscall.h': '#pragma once\n',
    'src/syscall/syscall.c': '#include "syscall.h"\n#include "mm/mm.h"\n',
    'userland/include/kernel/types.h': '#pragma once\n',
    'userland/include/kernel/stat.h': '#include "lib/abi/stat.h"\n',
    'userland/bin/cat.c': '#include "kernel/types.h"\n#include "kernel/stat.h"\n'
                          '#include <stdarg.h>\n#include "lib/abi/stat.h"\n',
}

# (name, file, line added at its end, rules that must fail)
VIOLATIONS = [
    ('proc includes mm/vma.h', 'src/proc/proc.c', '#include "mm/vma.h"', {'a'}),
    ('fs includes ../mm/mm_internal.h', 'src/fs/bad.c', '#include "../mm/mm_internal.h"',
     {'a'}),
    ('syscall includes <mm/vma.h>', 'src/syscall/syscall.c', '#  include <mm/vma.h>', {'a'}),
    ('mm includes fs/fs.h', 'src/mm/aspace.c', '#include "fs/fs.h"', {'b'}),
    ('mm includes ../proc/proc.h', 'src/mm/fault.c', '#include "../proc/proc.h"', {'b'}),
    ('mm includes syscall/syscall.h', 'src/mm/aspace.c', '#include "syscall/syscall.h"',
     {'b'}),
    ('mm includes dev/dev.h', 'src/mm/page.c', '#include "dev/dev.h"', {'b'}),
    ('proc includes arch/riscv/pmap.h', 'src/proc/proc.c', '#include "arch/riscv/pmap.h"',
     {'c'}),
    ('fs includes ../arch/riscv/pmap.h', 'src/fs/bad.c', '#include "../arch/riscv/pmap.h"',
     {'c'}),
    ('trap code includes mm/vma.h', 'src/arch/riscv/trap.c', '#include "mm/vma.h"',
     {'a', 'd'}),
    ('trap code includes ../../mm/mm_internal.h', 'src/arch/riscv/trap.c',
     '#include "../../mm/mm_internal.h"', {'a', 'd'}),
    ('userland includes lib/types.h', 'userland/bin/cat.c', '#include "lib/types.h"', {'e'}),
    ('userland includes mm/mm.h', 'userland/lib/ulib.c', '#include "mm/mm.h"', {'e'}),
    ('userland includes <proc/proc.h>', 'userland/bin/cat.c', '#include <proc/proc.h>', {'e'}),
    ('userland includes ../../src/lib/types.h', 'userland/bin/ls.c',
     '#include "../../src/lib/types.h"', {'e'}),
]


def write_tree(root, extra=None):
    files = dict(BASELINE)
    if extra:
        path, line = extra
        files[path] = files.get(path, '') + line + '\n'
    for rel, text in files.items():
        full = os.path.join(root, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(text)
    if extra:
        return extra[0], files[extra[0]].count('\n')
    return None


def self_test():
    """Returns a list of (ok, description, diagnostics)."""
    out = []
    with tempfile.TemporaryDirectory(prefix='layering-') as tmp:
        base = os.path.join(tmp, 'clean')
        write_tree(base)
        res = check_tree(base)
        bad = ['rule %s: %s' % (r, o) for r in res for o in res[r][0]]
        bad += ['rule %s skipped: %s' % (r, res[r][1]) for r in res if res[r][1]]
        out.append((not bad, 'self-test: a clean tree passes every rule', bad))

        for i, (name, path, line, rules) in enumerate(VIOLATIONS):
            root = os.path.join(tmp, 'v%d' % i)
            rel, lineno = write_tree(root, (path, line))
            res = check_tree(root)
            failed = {r for r in res if res[r][0]}
            diag = []
            if failed != rules:
                diag.append('expected rules %s to fail, got %s'
                            % (sorted(rules), sorted(failed)))
            want = '%s:%d:' % (rel, lineno)
            for r in rules:
                if not any(o.startswith(want) for o in res[r][0]):
                    diag.append('rule %s did not report %s' % (r, want))
            out.append((not diag, 'self-test: %s is caught by rule %s'
                        % (name, '+'.join(sorted(rules))), diag))
    return out


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s SOURCE_ROOT | --self-test\n' % argv[0])
        return 2

    lines = []  # (ok, description, diagnostics, directive)
    if argv[1] != '--self-test':
        root = argv[1]
        if not os.path.isdir(os.path.join(root, 'src')):
            sys.stderr.write('%s: no src/ directory under %s\n' % (argv[0], root))
            return 2
        res = check_tree(root)
        for rule, desc in RULES:
            offences, skip = res[rule]
            lines.append((not offences, '%s: %s' % (rule, desc), offences,
                          ' # SKIP ' + skip if skip and not offences else ''))
    for ok, desc, diag in self_test():
        lines.append((ok, desc, diag, ''))

    print('1..%d' % len(lines))
    failed = 0
    for n, (ok, desc, diag, directive) in enumerate(lines, 1):
        print('%s %d - %s%s' % ('ok' if ok else 'not ok', n, desc, directive))
        for d in diag:
            print('#   ' + d)
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
