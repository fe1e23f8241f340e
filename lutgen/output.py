"""Writing a command's output folder all or nothing.

A run builds its whole output in a fresh hidden sibling of the output folder
(same parent, so one rename moves it) and then swaps it in. After an error,
Ctrl-C, SIGKILL or a full disk, the folder holds the complete old output or
the complete new one, never a mix. The next run into the same folder removes
hidden siblings that a killed run left.

Every folder written holds a manifest, MARKER. A folder that exists, is not
empty and has no manifest is someone else's, and lutgen refuses to replace it.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import os
import secrets
import shutil
import stat
import time
from collections.abc import Mapping
from pathlib import Path

from .spec import SpecError

MARKER = ".lutgen-output"
TAG = ".lutgen-"  # hidden siblings are named .<folder>.lutgen-new-<hex> (and -old-<hex>, see _swap)
# Tests only: seconds to sleep after each staged file, to widen the window an interrupt test aims at.
SLOW_WRITE_ENV = "LUTGEN_TEST_SLOW_WRITE"


def write_files(directory: str | os.PathLike, files: Mapping[str, str | bytes]) -> list[Path]:
    """Make `directory` hold exactly `files` (relative name -> text or bytes) and the manifest.

    Any earlier lutgen output there is replaced whole. Raises SpecError, naming
    the path, before anything visible changes.
    """
    out = Path(directory)
    for name in files:
        check_name(name)
    target = check_output(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target)
        staging = _sibling(target, "new")
    except OSError as exc:
        raise SpecError(f"cannot create output directory {str(out)!r}: {exc.strerror}") from None
    lock = None
    try:
        lock = os.open(staging, os.O_RDONLY)  # the lock tells a concurrent run's _remove_stale it is alive
        fcntl.flock(lock, fcntl.LOCK_EX)
        _fill(staging, files)
        if target.is_dir():  # a folder the user made keeps its permissions (say chmod 700)
            os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))
        _swap(staging, target)
    except OSError as exc:
        where = str(exc.filename or "").replace(str(staging), str(out), 1) or str(out)
        raise SpecError(f"cannot write {where!r}: {exc.strerror}") from None
    finally:
        # Before the swap this is the unfinished new build, after it the old build.
        shutil.rmtree(staging, ignore_errors=True)
        if lock is not None:
            os.close(lock)
    return [out / name for name in files]


def check_name(name: str) -> None:
    """A file name must stay inside the output folder, whatever the names in a network file say."""
    parts = name.split("/")
    if (name.startswith("/") or "\\" in name or "\0" in name or parts[0] == MARKER
            or any(part in ("", ".", "..") for part in parts)):
        raise SpecError(f"refusing to write output file {name!r}: not a plain relative path inside the output folder")


def check_output(out: Path) -> Path:
    """Refuse an output folder lutgen must not replace; return its real path (symlinks followed)."""
    target = Path(os.path.realpath(out))
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # the current folder was deleted: nothing to protect
        cwd = None
    if cwd is not None and (target == cwd or target in cwd.parents):
        raise SpecError(f"output directory {str(out)!r} is or holds the current folder, and lutgen replaces its output "
                        f"folder whole, which would leave the shell in a deleted folder; give one below it, e.g. -o out")
    if not os.path.lexists(target):
        return target
    if not target.is_dir():
        raise SpecError(f"output path {str(out)!r} exists and is not a directory")
    if not os.access(target, os.W_OK | os.X_OK):
        raise SpecError(f"output directory {str(out)!r} is not writable")
    try:
        foreign = any(os.scandir(target)) and not (target / MARKER).is_file()
    except OSError as exc:
        raise SpecError(f"cannot read output directory {str(out)!r}: {exc.strerror}") from None
    if foreign:
        raise SpecError(f"output directory {str(out)!r} is not empty and was not written by lutgen (no {MARKER}); "
                        f"lutgen replaces its output folder whole, so give a new or empty one")
    return target


def manifest(names) -> str:
    """The marker's content: deterministic, so reruns stay byte-identical."""
    head = "# written by lutgen; the next lutgen run into this folder replaces all of it\n"
    return head + "".join(f"{name}\n" for name in sorted(names))


def _sibling(target: Path, kind: str) -> Path:
    path = target.parent / f".{target.name}{TAG}{kind}-{secrets.token_hex(8)}"
    os.mkdir(path)  # mode 0777 less the umask, as for every folder written
    return path


def _remove_stale(target: Path) -> None:
    """Remove hidden siblings a killed run left, except those a live run holds locked."""
    prefix = f".{target.name}{TAG}"
    for entry in os.scandir(target.parent):
        if not (entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # another run is writing it
        else:
            shutil.rmtree(entry.path, ignore_errors=True)
        finally:
            os.close(fd)


def _fill(staging: Path, files: Mapping[str, str | bytes]) -> None:
    slow = float(os.environ.get(SLOW_WRITE_ENV) or 0)
    for name, content in files.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:  # mode 0666 less the umask
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        if slow:
            time.sleep(slow)
    (staging / MARKER).write_bytes(manifest(files).encode("utf-8"))


def _swap(staging: Path, target: Path) -> None:
    """Put the staging folder at `target`; afterwards the staging name holds the old build, if any."""
    if not os.path.lexists(target):
        os.rename(staging, target)
    elif not _exchange(staging, target):
        # No RENAME_EXCHANGE (not Linux, or a filesystem without it): two renames. A crash
        # between them leaves no output folder and the old build whole under the -old- name,
        # which the next run removes.
        old = _sibling(target, "old")
        os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28 and later
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


AT_FDCWD, RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step; False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))
