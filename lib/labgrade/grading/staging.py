"""Staging a submission: what nbgrader grades is a private copy, regular files only (no links, no special
files, no names that could escape the student's folder).

``submitted/<student>/weight_init/`` is the students' (or whatever collected it): it may hold
symbolic links (to the gradebook, to ``source/``, to a classmate's notebook, to ``/dev/zero``),
hard links, FIFOs, device nodes, sockets, directories, Python files beside the notebooks, huge
files. nbgrader's ``autograde`` copies every file of that folder into ``autograded/`` (following
links) and runs the kernel there; ``generate_feedback`` copies them on into ``feedback/``.

So labgrade never points nbgrader at ``submitted/``. :func:`stage_submission` copies

* the notebooks of the assignment (``<id>.ipynb`` directly in the folder, ``id`` a notebook of
  ``source/``), each at most ``max_bytes``, and
* ``timestamp.txt`` (at most 4 KiB),

into ``.grading/staged/<student>/weight_init/`` (mode 0700 root) as new regular files, and
nothing else: every path component is opened with ``O_NOFOLLOW`` relative to its parent's
descriptor, each file must be a regular file with one link (``lstat`` before, ``fstat`` after
opening, same inode), it is opened with ``O_NONBLOCK`` (a FIFO never blocks) and read up to
the cap (a file that grows is cut off and refused). What is refused is returned, with the reason;
other files are listed as ignored. nbgrader's ``autograde`` is then run with
``--CourseDirectory.submitted_directory`` set to the staging root.

Student ids (the folder names) are checked against :data:`STUDENT_ID` before anything uses them
in a path, a glob (nbgrader globs ``submitted/<student>/<assignment>``) or the gradebook.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from labgrade.course.paths import ASSIGNMENT

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TIMESTAMP = "timestamp.txt"
TIMESTAMP_MAX_BYTES = 4096
MAX_LISTED = 20            # names of ignored files kept per student


def student_id_problem(student) -> str | None:
    """Why ``student`` cannot be a student id (None if it can)."""
    if not isinstance(student, str):
        return "the student id is not text"
    if student in (".", ".."):
        return "the student id is '.' or '..'"
    if not STUDENT_ID.fullmatch(student):
        return ("the student id is not 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit "
                "(it would be used in file paths, nbgrader's globs and the gradebook)")
    return None


def valid_student_id(student) -> bool:
    return student_id_problem(student) is None


def display_name(name, limit: int = 80) -> str:
    """A file or student name as printable ASCII (escapes for anything else), at most ``limit`` characters."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "backslashreplace")
    text = str(name).encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Staged:
    """What :func:`stage_submission` copied, and what it refused."""

    directory: Path | None = None                            # the staged copy (None: nothing staged)
    notebooks: list[str] = field(default_factory=list)       # notebook ids staged
    timestamp: bool = False
    refused: dict[str, str] = field(default_factory=dict)    # display name -> why
    refused_notebooks: dict[str, str] = field(default_factory=dict)   # notebook id -> why
    ignored: list[str] = field(default_factory=list)         # display names of other entries (not copied)
    problem: str | None = None                               # the whole submission was refused


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _open_dir(name: str, dir_fd: int | None) -> int:
    """Open directory ``name`` (relative to ``dir_fd``) without following a link; OSError says why not."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, f"is {_kind(st.st_mode)}, not a folder")
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)


def _read_regular(name: str, dir_fd: int, max_bytes: int) -> bytes:
    """The bytes of regular file ``name`` (in ``dir_fd``), or ValueError saying why it is refused."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"is {_kind(st.st_mode)}; only regular files are graded")
    if st.st_nlink != 1:
        raise ValueError(f"is a hard link ({st.st_nlink} names for one file); only files with one name are graded")
    if st.st_size > max_bytes:
        raise ValueError(f"is {st.st_size} bytes, more than the limit of {max_bytes} bytes")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        raise ValueError(f"could not be opened without following links ({exc.strerror})") from None
    try:
        fst = os.fstat(fd)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(fst.st_mode) or fst.st_nlink != 1:
            raise ValueError("changed while it was being copied")
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise ValueError(f"is more than the limit of {max_bytes} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def staging_root(workdir: Path) -> Path:
    """``<workdir>/.grading/staged``, created private (0700)."""
    root = Path(workdir) / ".grading" / "staged"
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root


def stage_submission(submitted: Path, student: str, notebooks: list[str], stage_root: Path, *,
                     max_bytes: int, assignment: str = ASSIGNMENT) -> Staged:
    """Copy ``submitted/<student>/<assignment>/`` (its notebooks and timestamp.txt) into
    ``stage_root/<student>/<assignment>/`` as regular files; see the module's docstring."""
    problem = student_id_problem(student)
    if problem:
        return Staged(problem=f"refused: {problem}")
    out = Staged()
    dest = Path(stage_root) / student / assignment
    if (Path(stage_root) / student).exists() or (Path(stage_root) / student).is_symlink():
        shutil.rmtree(Path(stage_root) / student)
    wanted = set(notebooks)
    root_fd = os.open(submitted, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fds = [root_fd]
    try:
        try:
            fds.append(_open_dir(student, root_fd))
            fds.append(_open_dir(assignment, fds[-1]))
        except FileNotFoundError:
            out.problem = "no submission"
            return out
        except OSError as exc:
            which = student if len(fds) == 1 else f"{student}/{assignment}"
            out.problem = (f"refused: submitted/{display_name(which)} "
                           f"{exc.strerror if exc.errno != errno.ELOOP else 'is a symbolic link'}; "
                           f"only a real folder is graded")
            return out
        dir_fd = fds[-1]
        dest.mkdir(parents=True, mode=0o700)
        with os.scandir(dir_fd) as entries:
            names = sorted(e.name for e in entries)
        for name in names:
            stem, dot, ext = name.rpartition(".")
            if dot and ext == "ipynb" and stem in wanted:
                limit = max_bytes
            elif name == TIMESTAMP:
                limit = TIMESTAMP_MAX_BYTES
            else:
                if len(out.ignored) < MAX_LISTED:
                    out.ignored.append(display_name(name))
                elif len(out.ignored) == MAX_LISTED:
                    out.ignored.append("...")
                continue
            try:
                data = _read_regular(name, dir_fd, limit)
            except (ValueError, OSError) as exc:
                why = str(exc) if isinstance(exc, ValueError) else f"could not be read ({exc.strerror})"
                out.refused[display_name(name)] = why
                if name != TIMESTAMP:
                    out.refused_notebooks[stem] = why
                continue
            _write_new(dest / name, data)
            if name == TIMESTAMP:
                out.timestamp = True
            else:
                out.notebooks.append(stem)
        out.directory = dest
        return out
    finally:
        for fd in reversed(fds):
            os.close(fd)
