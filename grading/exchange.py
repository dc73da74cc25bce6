"""`nbgrader collect` that takes a submission as data, and gives it a time the student cannot set.

nbgrader's collector runs as the instructor (often root) and copies each student's inbound folder
with shutil.copytree, which follows links: a link planted there to /etc/shadow or to another
student's file was copied into submitted/, and from there into the kernel's folder, autograded/
and the student's own feedback. Its time was the student's own timestamp.txt, which a student can
backdate to dodge the late penalty. `SafeCollect` (nbgrader_config.py: c.ExchangeFactory.collect)
is nbgrader's collector with two changes:

- the copy (grading/submission.py) takes regular files and folders only, at any depth, never
  following a link: a symbolic link, FIFO, device or socket is left behind and logged, and so is
  what nbgrader's own rules leave out (CourseDirectory.ignore/include/max_file_size); a folder over
  max_dir_size, or a record whose student name is not a plain name ('', '.', '..'), is not
  collected (logged), and the other students are;
- submitted/<student>/<assignment>/timestamp.txt is written by the collector: the newest inode
  change time (ctime) of anything in the student's inbound folder, which the kernel sets and no
  student can set back (`touch -d` and `utime` set mtime and atime only), never later than now.
  The student's own timestamp.txt (nbgrader submit's, or a forged one) is only logged.
  Note: copying the exchange elsewhere without preserving inodes resets those times (move it
  with the folder, or collect before moving).
"""
import datetime
import os
import shutil

from nbgrader.exchange.default.collect import ExchangeCollect

from . import late, submission


def collected_time(listing):
    """The submission's time: the newest inode change time below its inbound folder, at most now."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return min(datetime.datetime.fromtimestamp(listing.newest_ctime, datetime.timezone.utc), now)


class SafeCollect(ExchangeCollect):
    """nbgrader's ExchangeCollect, copying data only and writing the submission's time itself."""

    def _path_to_record(self, path):
        record = super()._path_to_record(path) if _parsable(path) else {
            "username": os.path.basename(path).rsplit("+", 3)[0], "filename": os.path.basename(path),
            "timestamp": datetime.datetime.min}   # orders this folder last; its time is its ctime
        return record

    def init_src(self):
        super().init_src()
        kept = []
        for record in self.src_records:
            name = record["username"]
            if not name or name.startswith(".") or os.sep in name:
                self.log.error("Not collected: %s (not a student name: %r)", record["filename"], name)
            else:
                kept.append(record)
        self.src_records = kept

    def do_copy(self, src, dest, log=None):
        log = log or self.log
        if os.path.islink(src) or not os.path.isdir(src):
            log.error("Not collected: %s is not a folder (%s)", src, submission.refused(src).get(".", "missing"))
            return
        try:
            listing = submission.walk(src)
            skipped = submission.copy_tree(
                src, dest, ignore=self.coursedir.ignore, include=self.coursedir.include,
                max_file_bytes=1000 * self.coursedir.max_file_size,
                max_total_bytes=1000 * self.coursedir.max_dir_size)
        except (submission.Refused, OSError) as err:
            shutil.rmtree(dest, ignore_errors=True)
            log.error("Not collected: %s (%s)", src, err)
            return
        for relative, why in sorted(skipped.items()):
            if why != "ignored":
                log.warning("Left out of %s: %s (%s)", dest, relative, why)
        stamp = os.path.join(dest, late.TIMESTAMP)
        claim = _read_claim(stamp)
        when = collected_time(listing)
        if os.path.lexists(stamp):
            os.remove(stamp)
        with open(stamp, "x") as f:
            f.write(late.format_time(when) + "\n")
        if claim is not None and abs((claim - when.replace(tzinfo=None)).total_seconds()) > 300:
            log.warning("%s: the submission claims %s in timestamp.txt; recorded %s (its files' "
                        "change time)", dest, claim, late.format_time(when))


def _parsable(path):
    from nbgrader.utils import parse_utc
    try:
        parse_utc(os.path.basename(path).rsplit("+", 3)[2])
        return True
    except Exception:
        return False


def _read_claim(path):
    """The time the student's own timestamp.txt claims, or None."""
    try:
        return late.submission_time(os.path.dirname(path))
    except late.BadTimestamp:
        return None
