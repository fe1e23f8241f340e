"""The output folder, all or nothing (lutgen/output.py): whatever happens, it holds the old build or the new one."""

import errno
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lutgen import output
from lutgen.output import MARKER, write_files
from lutgen.spec import SpecError

def snapshot(folder: Path) -> dict:
    """Every file's bytes and every folder (None), by relative path."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


def siblings(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder.parent) if n.startswith(f".{folder.name}.lutgen-"))


def lutgen(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "lutgen.cli", *args], cwd=cwd, capture_output=True, text=True, env=env)


# -- the writer -----------------------------------------------------------------------------------
def test_fresh_folder_holds_exactly_the_files_and_the_manifest(tmp_path):
    out = tmp_path / "a" / "out"
    paths = write_files(out, {"x.v": "module x;\n", "sub/y.json": "{}\n", "z.png": b"\x89PNG\0"})
    assert paths == [out / "x.v", out / "sub/y.json", out / "z.png"]
    assert snapshot(out) == {MARKER: output.manifest(["x.v", "sub/y.json", "z.png"]).encode(), "sub": None,
                             "sub/y.json": b"{}\n", "x.v": b"module x;\n", "z.png": b"\x89PNG\0"}
    assert (out / MARKER).read_text().splitlines()[1:] == ["sub/y.json", "x.v", "z.png"]
    assert siblings(out) == []


def test_an_earlier_build_is_replaced_whole(tmp_path):
    out = tmp_path / "out"
    write_files(out, {"old.v": "old", "both.v": "1", "sub/old.v": "old"})
    write_files(out, {"both.v": "2", "new.v": "new"})
    assert snapshot(out) == {MARKER: output.manifest(["both.v", "new.v"]).encode(), "both.v": b"2", "new.v": b"new"}
    assert siblings(out) == []


def test_a_folder_lutgen_did_not_write_is_refused_and_left_as_it_was(tmp_path):
    out = tmp_path / "project"
    (out / "src").mkdir(parents=True)
    (out / "src" / "main.c").write_text("int main;")
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    with pytest.raises(SpecError, match="'.*project' is not empty and was not written by lutgen"):
        write_files(out, {"x.v": "x"})
    assert snapshot(out) == before and siblings(out) == []
    write_files(tmp_path / "empty", {})  # an empty folder, or a new one, is fine
    (tmp_path / "empty2").mkdir()
    write_files(tmp_path / "empty2", {"x.v": "x"})
    assert (tmp_path / "empty2" / "x.v").read_text() == "x"


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(SpecError, match="'.*out' exists and is not a directory"):
        write_files(tmp_path / "out", {"x.v": "x"})
    assert (tmp_path / "out").read_text() == "a file" and siblings(tmp_path / "out") == []


@pytest.mark.parametrize("name", ["../x", "/abs", "a/../../b", "a/..", "..", "a\\b", "a\0b", "./a", "a//b", "a/", "",
                                  MARKER, f"{MARKER}/x"])
def test_a_name_that_could_leave_the_folder_is_refused_before_anything_is_written(tmp_path, name):
    out = tmp_path / "deep" / "out"
    with pytest.raises(SpecError, match="refusing to write output file .*not a plain relative path"):
        write_files(out, {"fine.v": "x", name: "escaped"})
    assert os.listdir(tmp_path) == []
    write_files(out, {"fine.v": "old"})
    before = snapshot(out)
    with pytest.raises(SpecError, match="refusing to write output file"):
        write_files(out, {"fine.v": "new", name: "escaped"})
    assert snapshot(out) == before and sorted(os.listdir(tmp_path / "deep")) == ["out"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_modes_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        out = tmp_path / "new" / "out"
        write_files(out, {"x.v": "x", "sub/y.v": "y"})
    finally:
        os.umask(old)
    mode = lambda p: os.stat(p).st_mode & 0o777  # noqa: E731
    assert mode(out) == mode(out / "sub") == mode(tmp_path / "new") == 0o777 & ~umask
    assert mode(out / "x.v") == mode(out / "sub/y.v") == mode(out / MARKER) == 0o666 & ~umask


def test_a_folder_that_exists_keeps_its_permissions(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o700)
    write_files(out, {"x.v": "x"})
    write_files(out, {"x.v": "y"})
    assert os.stat(out).st_mode & 0o777 == 0o700 and (out / "x.v").read_text() == "y"


def test_siblings_a_killed_run_left_are_removed_but_not_a_live_runs(tmp_path):
    out = tmp_path / "out"
    write_files(out, {"x.v": "old"})
    for name in (".out.lutgen-new-dead", ".out.lutgen-old-dead", ".out.lutgen-new-live"):
        (tmp_path / name / "layers").mkdir(parents=True)
        (tmp_path / name / "layers" / "half.v").write_text("half")
    (tmp_path / ".other.lutgen-new-x").mkdir()  # another output folder's: not ours to remove
    (tmp_path / ".out.lutgen-note").write_text("a file, not a staging folder")
    live = os.open(tmp_path / ".out.lutgen-new-live", os.O_RDONLY)
    try:
        fcntl.flock(live, fcntl.LOCK_EX)  # as a run that is still writing holds it
        write_files(out, {"x.v": "new"})
    finally:
        os.close(live)
    assert sorted(os.listdir(tmp_path)) == [".other.lutgen-new-x", ".out.lutgen-new-live", ".out.lutgen-note", "out"]
    assert (out / "x.v").read_text() == "new"


class FailsMidway(dict):
    """A files mapping whose writing stops after the first file, as a full disk or Ctrl-C would stop it."""

    def __init__(self, files, error):
        super().__init__(files)
        self.error = error

    def items(self):
        yield next(iter(super().items()))
        raise self.error


@pytest.mark.parametrize("error,raised", [(OSError(errno.ENOSPC, "No space left on device"), SpecError),
                                          (KeyboardInterrupt(), KeyboardInterrupt)])
def test_an_error_while_writing_keeps_the_old_build_and_leaves_no_staging_folder(tmp_path, error, raised):
    out = tmp_path / "out"
    write_files(out, {"a.v": "old", "b.v": "old"})
    before = snapshot(out)
    with pytest.raises(raised, match="No space left" if raised is SpecError else None):
        write_files(out, FailsMidway({"a.v": "new", "c.v": "new"}, error))
    assert snapshot(out) == before and siblings(out) == []
    with pytest.raises(raised):  # into a folder that did not exist: it still does not
        write_files(tmp_path / "fresh", FailsMidway({"a.v": "new", "c.v": "new"}, error))
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_two_files_in_each_others_way_fail_cleanly(tmp_path):
    out = tmp_path / "out"
    write_files(out, {"a.v": "old"})
    before = snapshot(out)
    with pytest.raises(SpecError, match=r"cannot write '.*out/a': File exists"):
        write_files(out, {"a": "file", "a/b.v": "under a file"})
    assert snapshot(out) == before and siblings(out) == []


def test_a_failing_swap_keeps_the_old_build(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_files(out, {"a.v": "old"})
    before = snapshot(out)

    def no_exchange(a, b):
        raise OSError(errno.EIO, "Input/output error", str(b))

    monkeypatch.setattr(output, "_exchange", no_exchange)
    with pytest.raises(SpecError, match="Input/output error"):
        write_files(out, {"b.v": "new"})
    assert snapshot(out) == before and siblings(out) == []


def test_without_rename_exchange_two_renames_still_replace_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "_renameat2", lambda: None)
    out = tmp_path / "out"
    write_files(out, {"a.v": "old"})
    write_files(out, {"b.v": "new"})
    assert snapshot(out) == {MARKER: output.manifest(["b.v"]).encode(), "b.v": b"new"} and siblings(out) == []


def test_rename_exchange_swaps_two_folders_in_one_step(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    assert output._exchange(tmp_path / "a", tmp_path / "b")
    assert os.listdir(tmp_path / "a") == [] and (tmp_path / "b" / "x").read_text() == "a"


def test_the_current_folder_is_not_replaced(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_files(out, {"a.v": "old"})
    (out / "sub").mkdir()
    for cwd, target in ((out, "."), (out / "sub", ".."), (out / "sub", str(out))):
        monkeypatch.chdir(cwd)
        with pytest.raises(SpecError, match="is or holds the current folder"):
            write_files(target, {"a.v": "new"})
    assert (out / "a.v").read_text() == "old"


def test_a_symlinked_output_folder_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    write_files(tmp_path / "link", {"a.v": "1"})
    write_files(tmp_path / "link", {"b.v": "2"})
    assert (tmp_path / "link").is_symlink() and sorted(os.listdir(tmp_path / "real")) == [MARKER, "b.v"]


# -- the commands ---------------------------------------------------------------------------------
def test_a_blocked_output_path_is_refused_before_any_work(tmp_path):
    """Issue 16 item 3: a folder where `mul` would put its .v; nothing is written, no file replaced."""
    blocked = tmp_path / "out" / "lutgen_mul_w3u_a5u_xcup.v"
    blocked.mkdir(parents=True)
    (tmp_path / "out" / "lutgen_mul_w3u_a5u_xcup.json").write_text("an earlier report")
    before = snapshot(tmp_path / "out")
    r = lutgen("mul", "--w", "3", "--a", "5", "-o", "out", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "'out' is not empty and was not written by lutgen" in r.stderr
    assert snapshot(tmp_path / "out") == before and sorted(os.listdir(tmp_path)) == ["out"]
    # in a folder lutgen wrote, the whole earlier output (the blocking folder too) is replaced
    assert lutgen("mul", "--w", "3", "--a", "4", "-o", "new", cwd=tmp_path).returncode == 0
    (tmp_path / "new" / "lutgen_mul_w3u_a5u_xcup.v").mkdir()
    r = lutgen("mul", "--w", "3", "--a", "5", "-o", "new", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp_path / "new")) == [MARKER, "lutgen_mul_w3u_a5u_xcup.json", "lutgen_mul_w3u_a5u_xcup.v"]
    assert (tmp_path / "new" / "lutgen_mul_w3u_a5u_xcup.v").is_file()


def test_the_current_folder_as_output_is_refused_in_one_line(tmp_path):
    r = lutgen("mul", "--w", "3", "--a", "5", "-o", ".", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "'.' is or holds the current folder" in r.stderr
    assert os.listdir(tmp_path) == []


def test_explore_with_a_folder_at_the_plot_path_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "net.json").write_text(json.dumps({"name": "tiny", "input": [3, 8, 8], "layers": [
        {"type": "conv", "out_channels": 8, "kernel": 3, "padding": 1}, {"type": "gpool"}, {"type": "fc", "out_channels": 4}]}))
    (tmp_path / "out" / "arch_tiny_xc7z020_pareto.png").mkdir(parents=True)
    r = lutgen("arch", "explore", "--net", "net.json", "--device", "xc7z020", "-o", "out", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "'out' is not empty" in r.stderr, r.stderr
    assert snapshot(tmp_path / "out") == {"arch_tiny_xc7z020_pareto.png": None}
    assert sorted(os.listdir(tmp_path)) == ["net.json", "out"]


def test_a_network_name_cannot_write_outside_the_output_folder(tmp_path):
    """Issue 16 item 1, defence in depth: whatever the network file's own checks make of the name."""
    cwd = tmp_path / "a" / "b"
    cwd.mkdir(parents=True)
    (cwd / "net.json").write_text(json.dumps({"name": "x/../../../../escape/pwn", "input": [3, 8, 8], "layers": [
        {"type": "conv", "out_channels": 8, "kernel": 3, "padding": 1}, {"type": "gpool"}, {"type": "fc", "out_channels": 4}]}))
    r = lutgen("arch", "report", "--net", "net.json", "--device", "xc7z020", "-o", "out", cwd=cwd)
    assert not (tmp_path / "escape").exists()  # where out/arch_x/../../../../escape/pwn_... points
    assert sorted(os.listdir(tmp_path)) == ["a"] and sorted(os.listdir(tmp_path / "a")) == ["b"]
    if r.returncode == 0:  # a name the network loader cleaned: every file inside out
        assert sorted(os.listdir(cwd)) == ["net.json", "out"]
    else:
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
        assert sorted(os.listdir(cwd)) == ["net.json"]


# -- interrupts -----------------------------------------------------------------------------------
def _first_write(out: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait for the run's first change on disk beside or in `out` (or for its end), however it writes."""
    def state():
        return sorted(os.listdir(out.parent)), os.stat(out).st_ino, os.stat(out).st_mtime_ns

    start, end = state(), time.monotonic() + timeout
    while time.monotonic() < end:
        if state() != start or proc.poll() is not None:
            return
        time.sleep(0.002)
    raise AssertionError("the run wrote nothing")


def _interrupt(tmp_path, builds, moments, slow, timeout=120):
    """Build each of the two `builds` once, then run one over the other in `out`, killing it at each moment.

    A moment is (signal, "start" or "write", seconds): after the start of the run, or after its
    first change on disk (the write, the swap and the old build's removal follow).
    """
    names = list(builds)
    for name, argv in builds.items():
        r = lutgen(*argv, "-o", name, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    expected = {name: snapshot(tmp_path / name) for name in names}
    assert expected[names[0]].keys() != expected[names[1]].keys()
    out = tmp_path / "out"
    shutil.copytree(tmp_path / names[0], out)  # as if built there
    state = names[0]
    env = {**os.environ, output.SLOW_WRITE_ENV: str(slow)}
    for sig, anchor, delay in moments:
        other = names[1] if state == names[0] else names[0]
        left = set(siblings(out))
        proc = subprocess.Popen([sys.executable, "-m", "lutgen.cli", *builds[other], "-o", "out"], cwd=tmp_path,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if anchor == "write":
            _first_write(out, proc, timeout)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=timeout)
        allowed = {0, -sig} | ({130} if sig == signal.SIGINT else set())
        assert proc.returncode in allowed, (sig, anchor, delay, proc.returncode, err)
        now = snapshot(out)
        assert now in (expected[state], expected[other]), (sig, anchor, delay, sorted(now))
        state = state if now == expected[state] else other
        if proc.returncode in (0, 130):  # it cleaned up after itself
            assert set(siblings(out)) <= left, (sig, anchor, delay)
    # the next successful run into the folder removes whatever the killed ones left
    r = lutgen("mul", "--w", "2", "--a", "2", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(out)) == [MARKER, "lutgen_mul_w2u_a2u_xcup.json", "lutgen_mul_w2u_a2u_xcup.v"]
    assert siblings(out) == []


def test_interrupts_while_pe_writes_leave_the_old_or_the_new_build(tmp_path):
    rng = random.Random(16)
    moments = [(sig, "start", rng.uniform(0.4, 2.0)) for sig in (signal.SIGINT, signal.SIGKILL) * 2]
    moments += [(sig, "write", rng.uniform(0.0, 1.0)) for sig in (signal.SIGINT, signal.SIGKILL) * 3]
    rng.shuffle(moments)
    builds = {"pe": ["pe", "--w", "3", "--a", "5"], "mul": ["mul", "--w", "4", "--a", "3"]}
    _interrupt(tmp_path, builds, moments, slow=0.3)


def test_interrupts_while_accel_writes_leave_the_old_or_the_new_build(tmp_path):
    """A tiny network (about 5 s a build, 35 files in 6 folders; small.json takes twice as long)."""
    rng = random.Random(161)
    moments = [(signal.SIGINT, "write", rng.uniform(0.0, 0.8)), (signal.SIGKILL, "write", rng.uniform(0.0, 0.8))]
    (tmp_path / "net.json").write_text(json.dumps({"name": "tiny", "input": [3, 8, 8], "layers": [
        {"type": "conv", "out_channels": 8, "kernel": 3, "padding": 1}, {"type": "gpool"}, {"type": "fc", "out_channels": 4}]}))
    base = ["accel", "--net", "net.json", "--device", "xczu7ev"]
    builds = {"rom": base, "bram": [*base, "--weight-memory", "bram"]}  # a ROM file, or a weights/ folder
    _interrupt(tmp_path, builds, moments, slow=0.02)
