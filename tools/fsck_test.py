#!/usr/bin/env python3
"""Tests tools/fsck on images made by the real mkfs, each corrupted in one way (TAP).

Every case copies an image, edits its bytes here in Python (the Image class below knows
the on-disk format of src/lib/abi/fs_format.h and the log header of src/fs/log.c), runs
fsck on the copy and checks its exit status and that its output names the problem. A
case that expects a problem would fail if fsck skipped that check; the cases that expect
a clean result (an unlinked inode, a torn or a pending log) would fail if fsck called a
legal state after a crash corruption.

Usage: fsck_test.py --fsck FSCK --mkfs MKFS --image FS_IMG
"""

import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile

BSIZE = 1024
FSMAGIC = 0x10203040
ROOTINO = 1
NDIRECT = 11
NINDIRECT = BSIZE // 4
DINODE = 64          # sizeof(struct dinode)
IPB = BSIZE // DINODE
BPB = BSIZE * 8
DIRENT = 16
DIRSIZ = 14
LOGSIZE = 30         # param.h: MAXOPBLOCKS * 3
T_DIR, T_FILE = 1, 2
M64 = (1 << 64) - 1


def log_sum(slots, homes):
    """log_sum() of src/fs/log.c over the slot contents and their home block numbers."""
    def mix(h, data):
        for j in range(0, len(data) - len(data) % 8, 8):
            h = mix_word(h, struct.unpack_from("<Q", data, j)[0])
        if len(data) % 8:
            tail = data[len(data) - len(data) % 8:] + bytes(8 - len(data) % 8)
            h = mix_word(h, struct.unpack("<Q", tail)[0])
        return h

    def mix_word(h, w):
        h ^= (w * 0x9e3779b97f4a7c15) & M64
        h = ((h << 31 | h >> 33) & M64) * 0xc2b2ae3d27d4eb4f & M64
        return h

    h = 0x6a09e667f3bcc909 ^ len(slots)
    for s in slots:
        h = mix(h, s)
    h = mix(h, b"".join(struct.pack("<i", b) for b in homes))
    h ^= h >> 33
    h = h * 0xff51afd7ed558ccd & M64
    h ^= h >> 33
    return h


class Image:
    """A disk image in memory, with just enough of the file system to edit it."""

    def __init__(self, data):
        self.d = bytearray(data)
        (self.magic, self.size, self.nblocks, self.ninodes, self.nlog, self.logstart,
         self.inodestart, self.bmapstart) = struct.unpack_from("<8I", self.d, BSIZE)
        self.data_start = self.size - self.nblocks

    def copy(self):
        return Image(self.d)

    def block(self, b):
        return self.d[b * BSIZE:(b + 1) * BSIZE]

    def put_block(self, b, data):
        assert len(data) == BSIZE
        self.d[b * BSIZE:(b + 1) * BSIZE] = data

    # ---- inodes: dict(type, major, minor, nlink, size, addrs) ----
    def ioff(self, inum):
        return (self.inodestart + inum // IPB) * BSIZE + (inum % IPB) * DINODE

    def inode(self, inum):
        t, ma, mi, nl, size = struct.unpack_from("<hhhhI", self.d, self.ioff(inum))
        addrs = list(struct.unpack_from("<13I", self.d, self.ioff(inum) + 12))
        return dict(type=t, major=ma, minor=mi, nlink=nl, size=size, addrs=addrs)

    def put_inode(self, inum, ino):
        struct.pack_into("<hhhhI13I", self.d, self.ioff(inum), ino["type"], ino["major"],
                         ino["minor"], ino["nlink"], ino["size"], *ino["addrs"])

    def set(self, inum, **fields):
        ino = self.inode(inum)
        ino.update(fields)
        self.put_inode(inum, ino)

    def bmap(self, inum, bn):
        a = self.inode(inum)["addrs"]
        if bn < NDIRECT:
            return a[bn]
        bn -= NDIRECT
        if bn < NINDIRECT:
            return self.ptr(a[NDIRECT], bn)
        bn -= NINDIRECT
        return self.ptr(self.ptr(a[NDIRECT + 1], bn // NINDIRECT), bn % NINDIRECT)

    def ptr(self, blk, i):
        return struct.unpack_from("<I", self.d, blk * BSIZE + 4 * i)[0] if blk else 0

    def set_ptr(self, blk, i, v):
        struct.pack_into("<I", self.d, blk * BSIZE + 4 * i, v)

    def free_inode(self):
        return next(i for i in range(ROOTINO + 1, self.ninodes) if self.inode(i)["type"] == 0)

    # ---- the bitmap ----
    def bit(self, b):
        return self.d[(self.bmapstart + b // BPB) * BSIZE + b % BPB // 8] >> (b % 8) & 1

    def set_bit(self, b, v):
        off = (self.bmapstart + b // BPB) * BSIZE + b % BPB // 8
        if v:
            self.d[off] |= 1 << (b % 8)
        else:
            self.d[off] &= ~(1 << (b % 8)) & 0xff

    def alloc_block(self):
        b = next(b for b in range(self.data_start, self.size) if not self.bit(b))
        self.set_bit(b, 1)
        self.put_block(b, bytes(BSIZE))
        return b

    # ---- directories (entries only in direct blocks: enough for these tests) ----
    def entries(self, dirino):
        size = self.inode(dirino)["size"]
        out = []
        for off in range(0, size, DIRENT):
            b = self.bmap(dirino, off // BSIZE)
            inum, name = struct.unpack_from("<H14s", self.d, b * BSIZE + off % BSIZE)
            out.append((off, inum, name.rstrip(b"\0").decode()))
        return out

    def lookup(self, dirino, name):
        return next(i for _, i, n in self.entries(dirino) if n == name and i)

    def entry_off(self, dirino, name):
        off = next(o for o, i, n in self.entries(dirino) if n == name and i)
        return self.bmap(dirino, off // BSIZE) * BSIZE + off % BSIZE

    def set_entry(self, dirino, name, inum):
        struct.pack_into("<H", self.d, self.entry_off(dirino, name), inum)

    def add_entry(self, dirino, name, inum):
        ino = self.inode(dirino)
        off = ino["size"]
        if off % BSIZE == 0:
            ino["addrs"][off // BSIZE] = self.alloc_block()
        ino["size"] = off + DIRENT
        self.put_inode(dirino, ino)
        b = self.bmap(dirino, off // BSIZE)
        struct.pack_into("<H14s", self.d, b * BSIZE + off % BSIZE, inum, name.encode())

    def new_inode(self, type_, nlink=1):
        inum = self.free_inode()
        self.put_inode(inum, dict(type=type_, major=0, minor=0, nlink=nlink, size=0,
                                  addrs=[0] * 13))
        return inum

    def mkdir(self, parent, name):
        """What sys_mkdir leaves: "." and "..", a name in the parent, parent nlink + 1."""
        inum = self.new_inode(T_DIR)
        self.add_entry(inum, ".", inum)
        self.add_entry(inum, "..", parent)
        self.add_entry(parent, name, inum)
        self.set(parent, nlink=self.inode(parent)["nlink"] + 1)
        return inum

    def create(self, parent, name, data):
        inum = self.new_inode(T_FILE)
        ino = self.inode(inum)
        for i in range(0, len(data), BSIZE):
            assert i // BSIZE < NDIRECT
            b = self.alloc_block()
            ino["addrs"][i // BSIZE] = b
            chunk = data[i:i + BSIZE]
            self.put_block(b, chunk + bytes(BSIZE - len(chunk)))
        ino["size"] = len(data)
        self.put_inode(inum, ino)
        self.add_entry(parent, name, inum)
        return inum

    # ---- the log ----
    def write_log(self, blocks, torn=False):
        """Commits blocks {home: content} to the log area as commit() step 1 does; with
        torn set, the checksum does not match (a slot write did not reach the disk)."""
        homes = sorted(blocks)
        slots = [bytes(blocks[h]) for h in homes]
        for i, s in enumerate(slots):
            self.put_block(self.logstart + 1 + i, s)
        s = log_sum(slots, homes) ^ (1 if torn else 0)
        head = bytearray(BSIZE)
        struct.pack_into("<i", head, 0, len(homes))
        for i, h in enumerate(homes):
            struct.pack_into("<i", head, 4 + 4 * i, h)
        struct.pack_into("<Q", head, (4 + 4 * LOGSIZE + 7) // 8 * 8, s)
        self.put_block(self.logstart, head)

    def changed_blocks(self, other):
        """Blocks whose contents differ from other's: {block: our content}."""
        return {b: self.block(b) for b in range(self.size)
                if self.d[b * BSIZE:(b + 1) * BSIZE] != other.d[b * BSIZE:(b + 1) * BSIZE]}


class Runner:
    def __init__(self, fsck, tmpdir):
        self.fsck, self.tmpdir = fsck, tmpdir
        self.n = 0
        self.failed = 0

    def run(self, img, *opts):
        path = os.path.join(self.tmpdir, "case.img")
        with open(path, "wb") as f:
            f.write(img.d if isinstance(img, Image) else img)
        r = subprocess.run([self.fsck, *opts, path], capture_output=True, text=True,
                           timeout=120)
        return r.returncode, r.stdout + r.stderr

    def case(self, name, img, want_rc, want=(), unwanted=(), opts=()):
        """One TAP line: fsck's exit status is want_rc and its output matches every
        regular expression in want and none in unwanted."""
        rc, out = self.run(img, *opts)
        why = []
        if rc != want_rc:
            why.append("exit status %d, want %d" % (rc, want_rc))
        why += ["no line matches %r" % w for w in want if not re.search(w, out, re.M)]
        why += ["a line matches %r" % u for u in unwanted if re.search(u, out, re.M)]
        self.n += 1
        print("%s %d - %s" % ("not ok" if why else "ok", self.n, name))
        if why:
            self.failed += 1
            for w in why:
                print("# " + w)
            for line in out.splitlines()[:30]:
                print("#   " + line)
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fsck", required=True)
    ap.add_argument("--mkfs", required=True)
    ap.add_argument("--image", required=True, help="the fs.img the build made")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="pagoda-fsck-") as tmp:
        t = Runner(args.fsck, tmp)
        with open(args.image, "rb") as f:
            base = Image(f.read())
        readme = base.lookup(ROOTINO, "README.md")
        cat = base.lookup(ROOTINO, "cat")
        echo = base.lookup(ROOTINO, "echo")
        clean = r"^fsck: .*: clean"

        # ---- clean images ----
        t.case("the build's fs.img is clean", base, 0, [clean])

        # mkfs with a file big enough for the doubly-indirect block (11 + 256 blocks).
        big_src = os.path.join(tmp, "big")
        with open(big_src, "wb") as f:
            f.write(bytes((i * 7 + i // 1024) & 0xff for i in range(400 * BSIZE + 123)))
        big_img = os.path.join(tmp, "big.img")
        subprocess.run([args.mkfs, big_img, big_src], check=True, capture_output=True)
        with open(big_img, "rb") as f:
            bigfs = Image(f.read())
        big = bigfs.lookup(ROOTINO, "big")
        t.case("an image with a doubly-indirect file is clean", bigfs, 0, [clean])

        # A subdirectory holding a file, made here the way the kernel would.
        sub = base.copy()
        d = sub.mkdir(ROOTINO, "d")
        e = sub.mkdir(d, "e")
        sub.create(d, "f", b"hello\n" * 300)
        t.case("an image with directories made here is clean", sub, 0, [clean])

        # ---- the superblock ----
        img = base.copy()
        struct.pack_into("<I", img.d, BSIZE, 0x12345678)
        t.case("bad superblock magic", img, 1, [r"superblock: bad magic 0x12345678"])

        img = base.copy()
        struct.pack_into("<I", img.d, BSIZE + 24, base.logstart + 3)  # inodestart
        t.case("superblock: log overlapping the inodes", img, 1,
               [r"superblock: log .* overlaps the inodes"])

        img = base.copy()
        struct.pack_into("<I", img.d, BSIZE + 4, base.size + 10)      # size
        t.case("superblock: size beyond the image", img, 1,
               [r"superblock: size %d blocks, but the image has %d" % (base.size + 10,
                                                                      base.size)])

        # ---- block pointers ----
        img = base.copy()
        img.set(readme, addrs=[base.logstart + 1] + img.inode(readme)["addrs"][1:])
        t.case("a direct block pointer out of range (into the log)", img, 1,
               [r"inode %d \(/README.md\): logical block 0 is block %d, outside the data "
                r"blocks" % (readme, base.logstart + 1)])

        img = bigfs.copy()
        dind = img.inode(big)["addrs"][NDIRECT + 1]
        l1 = img.ptr(dind, 0)
        img.set_ptr(l1, 5, img.size + 1000)
        t.case("a doubly-indirect data pointer out of range", img, 1,
               [r"logical block %d is block %d, outside the data blocks"
                % (NDIRECT + NINDIRECT + 5, img.size + 1000)])

        img = bigfs.copy()
        img.set_ptr(dind, 0, 7)
        t.case("a doubly-indirect level-1 pointer out of range", img, 1,
               [r"the indirect block for logical blocks %d-%d is block 7, outside"
                % (NDIRECT + NINDIRECT, NDIRECT + 2 * NINDIRECT - 1)])

        img = base.copy()
        shared = img.inode(cat)["addrs"][0]
        img.set(echo, addrs=[shared] + img.inode(echo)["addrs"][1:])
        t.case("a block shared by two files", img, 1,
               [r"block %d is used twice: by inode %d \(/cat\) and as logical block 0 of "
                r"inode %d \(/echo\)" % (shared, cat, echo)])

        img = bigfs.copy()
        a = img.inode(big)["addrs"]
        img.set_ptr(a[NDIRECT], 3, a[2])
        t.case("a block mapped twice in one file (direct and indirect)", img, 1,
               [r"block %d is used twice: by inode %d .* of the same inode" % (a[2], big)])

        img = base.copy()
        a = img.inode(readme)["addrs"]
        img.set(readme, addrs=a[:1] + [0] + a[2:])
        t.case("a block missing below the size", img, 1,
               [r"inode %d \(/README.md\): size \d+ needs \d+ blocks, but 1 of them are not "
                r"mapped \(the first is logical block 1\)" % readme])

        img = base.copy()
        img.set(readme, size=img.inode(readme)["size"] - 2 * BSIZE)
        t.case("blocks past the size are legal (an interrupted truncation)", img, 0,
               [r"info: inode %d .*: 2 data blocks past its size" % readme, clean])

        # ---- the bitmap ----
        img = base.copy()
        b = img.inode(cat)["addrs"][3]
        img.set_bit(b, 0)
        t.case("a bitmap bit cleared for a used block", img, 1,
               [r"bitmap: block %d: used by inode %d \(/cat\), but marked free" % (b, cat)])

        img = base.copy()
        img.set_bit(base.size - 1, 1)
        t.case("a bitmap bit set for an unused block", img, 1,
               [r"bitmap: block %d: marked in use, but nothing references it"
                % (base.size - 1)])

        img = base.copy()
        img.set_bit(base.inodestart, 0)
        t.case("a bitmap bit cleared for a metadata block", img, 1,
               [r"bitmap: block %d: metadata, but marked free" % base.inodestart])

        # ---- inodes, entries, links ----
        img = base.copy()
        img.set(readme, nlink=2)
        t.case("a wrong nlink", img, 1,
               [r"inode %d \(/README.md\): nlink 2, but 1 directory entry refer" % readme])

        img = sub.copy()
        img.set(ROOTINO, nlink=1)
        t.case("a directory's nlink not counting its subdirectory's ..", img, 1,
               [r"inode 1 \(/\): nlink 1, but 2 directory entries refer"])

        img = base.copy()
        free = img.free_inode()
        img.set_entry(ROOTINO, "echo", free)
        t.case("a directory entry pointing at a free inode", img, 1,
               [r"entry \"echo\" points to free inode %d" % free])

        img = base.copy()
        img.set_entry(ROOTINO, "echo", 5000)
        t.case("a directory entry pointing past the inode table", img, 1,
               [r"entry \"echo\" points to inode 5000, outside the"])

        img = sub.copy()
        img.set_entry(e, "..", e)
        t.case("a broken .. (pointing at the directory itself)", img, 1,
               [r"inode %d \(/d/e\): \"\.\.\" points to inode %d, not to its parent "
                r"inode %d \(/d\)" % (e, e, d)])

        img = base.copy()
        img.set_entry(ROOTINO, "..", readme)
        t.case("the root's .. not pointing at the root", img, 1,
               [r"inode 1 \(/\): \"\.\.\" points to inode %d, not to its parent inode 1"
                % readme])

        img = sub.copy()
        img.set_entry(d, ".", ROOTINO)
        t.case("a broken .", img, 1,
               [r"inode %d \(/d\): \"\.\" points to inode 1, not to itself" % d])

        img = sub.copy()
        img.add_entry(ROOTINO, "alias", e)
        img.set(e, nlink=2)
        t.case("a directory reachable twice (a directory hard link)", img, 1,
               [r"directory inode %d \(/(d/e|alias)\) is reached a second time, as "
                r"\"(e|alias)\"" % e])

        img = base.copy()
        img.set(ROOTINO, type=T_FILE)
        t.case("the root is not a directory", img, 1, [r"root \(inode 1\): not a directory"])

        img = base.copy()
        orphan = img.new_inode(T_FILE, nlink=1)
        t.case("an orphan inode (allocated, linked, in no directory)", img, 1,
               [r"inode %d: orphan: allocated file \(nlink 1" % orphan])

        img = base.copy()
        unlinked = img.new_inode(T_FILE, nlink=0)
        t.case("an unlinked inode awaiting its freeing at boot is legal", img, 0,
               [r"info: inode %d: unlinked file" % unlinked, clean])

        img = base.copy()
        img.set(echo, type=9)
        t.case("an inode of unknown type", img, 1, [r"inode %d \(/echo\): bad type 9" % echo])

        # ---- the log ----
        # A crash between commit and install: the log holds all of a mkdir, home holds
        # only its inode blocks (so as it stands the new directory is an orphan whose
        # block is marked free).
        after = base.copy()
        newdir = after.mkdir(ROOTINO, "newdir")
        txn = after.changed_blocks(base)
        img = base.copy()
        for inum in (ROOTINO, newdir):
            b = base.inodestart + inum // IPB
            img.put_block(b, after.block(b))
        img.write_log(txn)
        t.case("a committed log needing replay is not corruption (checked after replay)",
               img, 0, [r"info: log: %d blocks committed, not yet installed \(the kernel "
                        r"replays them at boot\)" % len(txn), clean])
        t.case("-r replays too", img, 0, [r"not yet installed", clean], opts=["-r"])
        t.case("-n checks the image as it is, without replay", img, 1,
               [r"inode %d: orphan" % newdir, r"used by inode %d, but marked free" % newdir],
               opts=["-n"])

        # The replayed content is what is checked: a committed transaction that would
        # break the link count, over a clean home.
        img = base.copy()
        bad = base.copy()
        bad.set(readme, nlink=5)
        img.write_log(bad.changed_blocks(base))
        t.case("the replayed content is what is checked", img, 1,
               [r"not yet installed", r"inode %d \(/README.md\): nlink 5" % readme])

        img = base.copy()
        img.write_log(bad.changed_blocks(base), torn=True)
        t.case("a torn log (checksum mismatch) is discarded, as at boot", img, 0,
               [r"info: log: incomplete transaction of 1 blocks", clean],
               [r"nlink 5"])

        img = base.copy()
        img.write_log(txn)
        for b, data in txn.items():
            img.put_block(b, data)
        t.case("a committed log already installed", img, 0,
               [r"info: log: %d blocks committed and already installed" % len(txn), clean])

        img = base.copy()
        img.write_log({base.logstart + 2: bytes(BSIZE)})
        t.case("a log entry for a block below the inodes (the kernel panics)", img, 1,
               [r"log: slot 0 is for block %d, outside" % (base.logstart + 2)])

        img = base.copy()
        struct.pack_into("<i", img.d, base.logstart * BSIZE, 500)
        t.case("a log header with too many blocks", img, 1,
               [r"log: header holds 500 blocks"])

        # ---- the image itself ----
        t.case("an image that cannot be read: exit status 2", b"short", 2)

        print("1..%d" % t.n)
        return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
