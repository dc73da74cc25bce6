"""A submission is data: regular files and folders, read without following a link.

A student writes their inbound folder in the exchange, and everything below it reaches root's
collector, the grading process and the feedback pages. So a submission is read here, and only
here, entry by entry relative to an open folder, each file opened with O_NOFOLLOW and checked to
be a regular file after opening (a link swapped in between the check and the copy is refused
too): a symbolic link, a FIFO, a device or a socket, at any depth, is never followed, opened or
copied. What grading takes from a submission is what the assignment declares: the notebooks of
source/<assignment>/ and the other files that folder itself ships (data files); a student's
extra files are left where they are. Used by the collector (grading/exchange.py), the grading
process (grading/prepare.py, grading/record.py) and feedback (grading/feedback.py).
"""
import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

SKIP = {".ipynb_checkpoints", "__pycache__"}
SECRET = "submission_secret.txt"   # written by `nbgrader submit`; names the feedback page
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK   # a FIFO opened by mistake never blocks


class Refused(Exception):
    """An entry of a submission that is not a regular file or folder, or too large."""


def kind(mode):
    """What a file's mode says it is, in words ('a symbolic link', 'a FIFO', ...)."""
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"), (stat.S_ISREG, "a file")):
        if test(mode):
            return name
    return "not a file"


@dataclass
class Listing:
    """What a walk of a submission found: its regular files (relative path: size), its folders,
    what it refused (relative path: why) and the newest inode change time of everything in it."""
    files: dict = field(default_factory=dict)
    folders: list = field(default_factory=list)
    refused: dict = field(default_factory=dict)
    newest_ctime: float = 0.0


def walk(folder):
    """List `folder` without following any link (the folder itself must not be one)."""
    listing = Listing()
    top = os.open(folder, _DIR)
    try:
        listing.newest_ctime = os.fstat(top).st_ctime
        _walk(top, "", listing)
    finally:
        os.close(top)
    return listing


def _walk(fd, prefix, listing):
    with os.scandir(fd) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            relative = prefix + entry.name
            st = entry.stat(follow_symlinks=False)
            listing.newest_ctime = max(listing.newest_ctime, st.st_ctime)
            if stat.S_ISDIR(st.st_mode):
                listing.folders.append(relative)
                try:
                    sub = os.open(entry.name, _DIR, dir_fd=fd)
                except OSError as err:   # swapped for a link since it was listed
                    listing.refused[relative] = f"could not be opened as a folder ({err.strerror})"
                    continue
                try:
                    _walk(sub, relative + "/", listing)
                finally:
                    os.close(sub)
            elif stat.S_ISREG(st.st_mode):
                listing.files[relative] = st.st_size
            else:
                listing.refused[relative] = kind(st.st_mode)


def refused(folder):
    """{relative path: what it is} of the entries below `folder` that are not regular files or
    folders ({'.': ...} when `folder` itself is a link or not a folder; {} when it is missing)."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return {}
    if not stat.S_ISDIR(st.st_mode):
        return {".": kind(st.st_mode)}
    return walk(folder).refused


def read(path, limit=None):
    """The bytes of the regular file at `path`, never through a link (Refused otherwise);
    Refused when it holds more than `limit` bytes. Only the last component is checked here:
    callers name paths whose folders are the grader's own or were checked by `walk`."""
    return read_at(None, path, limit)


def read_at(dir_fd, name, limit=None):
    try:
        fd = os.open(name, _FILE, dir_fd=dir_fd)
    except OSError as err:
        if err.errno == 40:   # ELOOP: the name is a symbolic link
            raise Refused(f"{Path(name).name} is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{Path(name).name} is {kind(st.st_mode)}")
        if limit is not None and st.st_size > limit:
            raise Refused(f"{Path(name).name} is larger than {limit // 2**20} MB")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if limit is not None and size > limit:   # grew since fstat
                raise Refused(f"{Path(name).name} is larger than {limit // 2**20} MB")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def copy_tree(src, dest, ignore=(), include=("*",), max_file_bytes=None, max_total_bytes=None):
    """Copy the regular files and folders below `src` into the new folder `dest` (modes
    0644/0755), never following a link; return {relative path: why} of what was not copied
    (links, FIFOs, devices, sockets, names matching `ignore`, files matching no `include`, files
    over `max_file_bytes`): nbgrader's own copy rules, without following anything. Raises
    Refused when the files together exceed `max_total_bytes`."""
    skipped, total = {}, [0]
    top = os.open(src, _DIR)
    try:
        os.makedirs(dest)
        rules = (tuple(ignore), tuple(include), max_file_bytes, max_total_bytes)
        _copy(top, Path(dest), "", rules, skipped, total)
    finally:
        os.close(top)
    return skipped


def _copy(fd, dest, prefix, rules, skipped, total):
    ignore, include, max_file, max_total = rules
    with os.scandir(fd) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            relative = prefix + entry.name
            if any(fnmatch.fnmatch(entry.name, pattern) for pattern in ignore):
                skipped[relative] = "ignored"
                continue
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                try:
                    sub = os.open(entry.name, _DIR, dir_fd=fd)
                except OSError as err:
                    skipped[relative] = f"could not be opened as a folder ({err.strerror})"
                    continue
                try:
                    (dest / entry.name).mkdir(mode=0o755)
                    _copy(sub, dest / entry.name, relative + "/", rules, skipped, total)
                finally:
                    os.close(sub)
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped[relative] = kind(st.st_mode)
                continue
            if not any(fnmatch.fnmatch(entry.name, pattern) for pattern in include):
                skipped[relative] = "not included"
                continue
            if max_file is not None and st.st_size > max_file:
                skipped[relative] = f"larger than {max_file} bytes"
                continue
            try:
                data = read_at(fd, entry.name, max_file)
            except Refused as err:
                skipped[relative] = str(err)
                continue
            total[0] += len(data)
            if max_total is not None and total[0] > max_total:
                raise Refused(f"the files together exceed {max_total} bytes")
            target = os.open(dest / entry.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(target, "wb") as out:
                out.write(data)


def declared(root, name):
    """The files assignment `name` declares, relative to its folder: the notebooks of
    source/<name>/ and the other files that folder ships (checkpoints and caches aside)."""
    source = Path(root) / "source" / name
    if not source.is_dir():
        return []
    listing = walk(source)
    return sorted(p for p in listing.files if not SKIP & set(Path(p).parts))


def declared_data(root, name):
    """The declared files that are not notebooks: what a kernel finds beside its notebook."""
    return [p for p in declared(root, name) if not p.endswith(".ipynb")]


def extra(root, name, folder):
    """The files of the submission at `folder` that the assignment does not declare (ignored)."""
    known = set(declared(root, name)) | {"timestamp.txt", SECRET}
    return sorted(p for p in walk(folder).files if p not in known and not SKIP & set(Path(p).parts))
