"""Who can read what on the course hub (deploy/jupyterhub_config.py checks it at every start).

The course folder holds the solutions and hidden tests (source/), every student's submissions,
grades and feedback (submitted/, autograded/, feedback/) and the sqlite gradebook: it belongs to
the grader account and its own group, and other accounts cannot even enter it (0750). Students
reach assignments only through nbgrader's exchange; their servers run a python, helpers/ and
data that live outside the course folder (docs/deployment.md).

Give a course folder to the grader account (as root; links are changed, never followed):

    python deploy/privacy.py /srv/dl-course grader-dl-course
"""
import grp
import os
import pwd
import stat
import sys
from pathlib import Path
from urllib.parse import urlsplit


def secure(folder, owner):
    """Give `folder` and everything in it to the account `owner` and its primary group; the folder
    0750, and nothing in it readable, writable or enterable by other accounts."""
    account = pwd.getpwnam(owner)
    for top, dirs, files in os.walk(folder):
        for path in [top, *(os.path.join(top, name) for name in dirs + files)]:
            os.lchown(path, account.pw_uid, account.pw_gid)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode):
                os.chmod(path, stat.S_IMODE(mode) & ~0o007)
    os.chmod(folder, 0o750)


def open_to_others(path):
    """Whether an account that is neither the owner nor in the group of `path` and its folders can
    read it: every folder on the way enterable by others, and `path` readable by others."""
    real = Path(os.path.realpath(path))
    return (all(os.stat(p).st_mode & stat.S_IXOTH for p in real.parents)
            and bool(os.stat(real).st_mode & stat.S_IROTH))


def members(gid):
    """Logins in the group `gid`: listed members and the accounts whose primary group it is."""
    names = set(grp.getgrgid(gid).gr_mem)
    names |= {p.pw_name for p in pwd.getpwall() if p.pw_gid == gid}
    return names


def sqlite_file(db_url, course_root):
    """The gradebook's file when it is sqlite (nbgrader_config.py's default: gradebook.db in the
    course folder), else None."""
    if not db_url:
        return Path(course_root) / "gradebook.db"
    if db_url.startswith("sqlite:///"):
        return Path(db_url[len("sqlite:///"):])
    return None


def problems(course_root, grader, students, db_url=""):
    """What lets a student read the course: a list of sentences, empty when nothing does."""
    root = Path(course_root)
    found = []
    st = root.stat()
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    if st.st_mode & 0o007:
        found.append(f"the course folder {root} is open to every account (mode {stat.S_IMODE(st.st_mode):04o}): "
                     f"students could read source/ (solutions, hidden tests), everyone's submissions, "
                     f"grades and feedback, and the gradebook")
    try:
        expected = pwd.getpwnam(grader).pw_name
    except KeyError:
        expected = None
    if owner in students:
        found.append(f"the course folder {root} belongs to the student {owner}")
    elif expected and owner != expected:
        found.append(f"the course folder {root} belongs to {owner}, not to the grader account {expected}")
    if st.st_mode & 0o070:
        inside = sorted(members(st.st_gid) & set(students))
        if inside:
            found.append(f"the course folder {root} is open to its group {grp.getgrgid(st.st_gid).gr_name}, "
                         f"which has students in it: {', '.join(inside)}")
    gradebook = sqlite_file(db_url, root)
    if gradebook is not None and gradebook.exists() and open_to_others(gradebook):
        found.append(f"the gradebook {gradebook} is readable by every account")
    return found


def password_of(db_url):
    """The password written in a database URL, or ''."""
    try:
        return urlsplit(db_url).password or ""
    except ValueError:
        return ""


def leaks(environment, secrets):
    """Names of the variables of `environment` that hold one of `secrets`: inside a value when the
    secret has 8 characters or more, else as the whole value (a password "bin" is not in PATH)."""
    secrets = [s for s in secrets if s]
    return sorted(name for name, value in environment.items()
                  if any(s in str(value) if len(s) >= 8 else s == str(value) for s in secrets))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    secure(sys.argv[1], sys.argv[2])
    print(f"{sys.argv[1]}: {sys.argv[2]}'s, closed to other accounts")
