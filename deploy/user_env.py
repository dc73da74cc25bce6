"""The python that runs the students' servers: one every account can run that sees the course
environment (deploy/jupyterhub_config.py; the hub tests use it too).

Normally that is the environment's own python. Where the environment was made from a python
in a private folder (pyenv under /root, as on CI machines), students cannot even start it; then,
if the system has a python of the same version, a small venv of it is made beside the hub's
state that adds the environment's site-packages (`site.addsitedir`, so the editable install of
helpers/ works too). Extension modules are built for the version's stable ABI (cp3XX), which
both pythons share.
"""
import os
import subprocess
import sys
from pathlib import Path


def closed_to_others(path):
    """The first folder or file on the way to `path` (links followed) other users cannot enter,
    or None."""
    real = Path(os.path.realpath(path))
    for part in [*reversed(real.parents), real]:
        if not os.stat(part).st_mode & 0o001:
            return part
    return None


def is_private(python=sys.executable, base_prefix=sys.base_prefix):
    return closed_to_others(python) is not None or closed_to_others(Path(base_prefix) / "lib") is not None


def user_python(folder, prefix=sys.prefix):
    """Return (python for the students, a note or ''): the environment's own python, or a view
    made in `folder` from /usr/bin/pythonX.Y. Raises RuntimeError when neither works."""
    own = Path(prefix) / "bin" / "python"
    if not is_private():
        return str(own), ""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = Path("/usr/bin") / version
    if not system.exists() or is_private(system, "/usr"):
        raise RuntimeError(f"the course environment's python is private ({closed_to_others(sys.executable)}) "
                           f"and there is no /usr/bin/{version} to stand in for it")
    view = Path(folder)
    site = sorted(Path(prefix).glob("lib/python3.*/site-packages"))[0]
    pth = view / "lib" / version / "site-packages" / "course-env.pth"
    if not pth.exists():
        subprocess.run([str(system), "-m", "venv", "--without-pip", str(view)], check=True)
        pth.write_text(f"import site; site.addsitedir({str(site)!r})\n")
    return str(view / "bin" / "python"), (
        f"the course environment's python is private ({closed_to_others(sys.executable)}): students' "
        f"servers run {system} with its packages, through {view}")
