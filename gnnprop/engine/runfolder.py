"""A run folder: the rounds a run wrote, and everything needed to read them without being told again.

    OUT/_gnnprop.json        the manifest: gnnprop's version, the engine, the fully resolved config,
                             the dtype, the graph's source (path, size, sha256), the node count, the
                             rounds written so far and, once done, why the run stopped
    OUT/_params.safetensors  the layer's parameters (so a later command needs no --weights)
    OUT/round=R/*.parquet    round R: columns ``id, x0 ..`` (one part locally, one per partition on Spark)
    OUT/_SUCCESS             written last: a folder without it is not a finished run

Both engines write it through :class:`RunFolderWriter`, over a small file-system seam
(:class:`LocalFS` here, Hadoop's through Spark for the Spark engine), so the layout, the
checks and the manifest are the same whichever engine ran. A round is in the manifest only
once its files are complete, so a run that was stopped or killed can be continued from its
last complete round (``gnnprop run --resume OUT``). ``spark.read.parquet(OUT)`` and
``pyarrow.dataset.dataset(OUT, partitioning="hive")`` read every round with ``round`` as a column.

An existing folder is used as it is when empty, replaced when it holds an earlier finished run
(the earlier run is moved aside and put back if the new one fails), and refused when it holds a
stopped run (continue it with ``--resume``) or anything else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from typing import Any, Callable, Protocol

from .. import __version__
from ..errors import InputError, UsageError

MANIFEST = "_gnnprop.json"
SUCCESS = "_SUCCESS"
PARAMS = "_params.safetensors"
#: The manifest's layout; a reader refuses a newer one.
SCHEMA = 1
#: What a run folder may hold besides its ``round=R`` folders (with Hadoop's checksum files on Spark).
OWN_FILES = (MANIFEST, SUCCESS, PARAMS, f".{MANIFEST}.crc", f".{SUCCESS}.crc", f".{PARAMS}.crc")


class FileSystem(Protocol):
    def exists(self, path: str) -> bool: ...
    def isdir(self, path: str) -> bool: ...
    def listdir(self, path: str) -> list[str]: ...
    def read_text(self, path: str) -> str: ...
    def write_bytes(self, path: str, data: bytes) -> None:
        """Whole and atomically where the file system can (a temporary file renamed over ``path``)."""
    def rename(self, src: str, dst: str) -> None: ...
    def delete(self, path: str) -> None:
        """A file, or a folder and everything in it; nothing if it is not there."""
    def mkdir(self, path: str) -> None: ...
    def aside(self, path: str) -> str:
        """A new name beside ``path`` to move it to (hidden where the file system has hidden names)."""
    def settle(self) -> None:
        """Let whatever still writes into the folder finish or stop (Spark's cancelled jobs)."""


class LocalFS:
    """The local file system."""

    def exists(self, path: str) -> bool:
        return os.path.lexists(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))

    def read_text(self, path: str) -> str:
        with open(path, encoding="utf-8") as f:
            return f.read()

    def write_bytes(self, path: str, data: bytes) -> None:
        folder = os.path.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            _quietly(os.unlink, tmp)
            raise

    def rename(self, src: str, dst: str) -> None:
        os.replace(src, dst)

    def delete(self, path: str) -> None:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)

    def mkdir(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o777 & ~_umask())

    def aside(self, path: str) -> str:
        return tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".previous",
                                dir=os.path.dirname(path) or ".")

    def settle(self) -> None:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _quietly(fn: Callable, *args: Any) -> None:
    try:
        fn(*args)
    except OSError:
        pass


def join(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name


def round_name(r: int) -> str:
    return f"round={r}"


# --- what a folder holds -----------------------------------------------------------------------------------------


def state_of(fs: FileSystem, path: str) -> str:
    """``new`` (absent or empty), ``finished`` (a finished run, or an earlier gnnprop's round folders),
    ``stopped`` (a run's manifest without ``_SUCCESS``) or ``other`` (a file, or other files)."""
    if not fs.exists(path):
        return "new"
    if not fs.isdir(path):
        return "other"
    names = fs.listdir(path)
    if not names:
        return "new"
    if any(not (n.startswith("round=") or n in OWN_FILES) for n in names):
        return "other"
    if MANIFEST in names and SUCCESS not in names:
        return "stopped"
    return "finished"


def read_manifest(fs: FileSystem, path: str, shown: str | None = None, key: str = "from_run") -> dict[str, Any]:
    """The manifest of the run folder ``path``; an :class:`InputError` when there is none or it is not one
    (a :class:`UsageError` about the setting ``key`` when ``path`` is no folder at all)."""
    shown = shown or path
    if not fs.isdir(path):
        what = "no such folder" if not fs.exists(path) else "not a folder"
        raise UsageError(f"{shown}: {what}; expected a run folder (gnnprop run ... -o OUT/)", key=key)
    try:
        text = fs.read_text(join(path, MANIFEST))
    except FileNotFoundError:
        raise InputError(f"{shown}: no {MANIFEST}: not a folder gnnprop's run wrote (or one from before "
                         "run folders described themselves); run it again to get one") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{shown}/{MANIFEST}: cannot read it: {getattr(e, 'strerror', None) or e}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{shown}/{MANIFEST}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("gnnprop_run"), int):
        raise InputError(f"{shown}/{MANIFEST}: not a gnnprop run manifest (no \"gnnprop_run\" version)")
    if data["gnnprop_run"] > SCHEMA:
        raise InputError(f"{shown}: written by a newer gnnprop ({data.get('gnnprop', '?')}, run folder layout "
                         f"{data['gnnprop_run']}); this is gnnprop {__version__} (layout {SCHEMA})")
    for key, kind in (("config", dict), ("graph", dict), ("written", dict), ("dtype", str), ("engine", str)):
        if not isinstance(data.get(key), kind):
            raise InputError(f"{shown}/{MANIFEST}: \"{key}\" is missing or not a {kind.__name__}")
    return data


def is_finished(fs: FileSystem, path: str) -> bool:
    return fs.exists(join(path, SUCCESS))


# --- fingerprints: is this the file the run read? ----------------------------------------------------------------

HASH_BLOCK = 1 << 22


def fingerprint(path: str | None, digest: str | None = None) -> dict[str, Any] | None:
    """What identifies an input: its path as given and, for a local file or folder, its absolute path,
    size and sha256 (a folder's over its files' names and contents); for standard input the sha256
    of what was read (``digest``); for a path another file system holds (``hdfs://``), the path alone."""
    if path is None:
        return None
    if path == "-":
        return {"path": "-", "sha256": digest}
    if "://" in path or not os.path.exists(path):
        return {"path": path}
    h = hashlib.sha256()
    size = 0
    files = [path] if not os.path.isdir(path) else sorted(
        os.path.join(root, n) for root, _, names in os.walk(path) for n in names if not n.startswith((".", "_")))
    for name in files:
        if len(files) > 1 or os.path.isdir(path):
            h.update(os.path.relpath(name, path).encode("utf-8", "surrogateescape") + b"\0")
        with open(name, "rb") as f:
            while block := f.read(HASH_BLOCK):
                h.update(block)
                size += len(block)
    return {"path": path, "abspath": os.path.abspath(path), "size": size, "sha256": h.hexdigest()}


def check_fingerprint(recorded: dict[str, Any] | None, path: str, what: str, digest: str | None = None) -> None:
    """Refuse ``path`` when it is not the input the run recorded (a different sha256)."""
    if not recorded or not recorded.get("sha256"):
        return
    now = fingerprint(path, digest)
    if now is None or not now.get("sha256"):
        return
    if now["sha256"] != recorded["sha256"]:
        raise UsageError(f"{path} is not the {what} the run read: its sha256 is {now['sha256'][:12]}…, the run "
                         f"recorded {recorded['sha256'][:12]}… ({recorded.get('path')}); give the file the run "
                         "read", key="graph" if what == "graph" else None)


# --- writing ---------------------------------------------------------------------------------------------------


class RunFolderWriter:
    """Writes a run folder (see the module's docstring) on ``fs``; ``shown`` names it in messages.

    ``begin`` (or ``resume``), ``round`` for every round written, then ``finish``; ``abort`` after a
    failure (``keep``: an interrupted run keeps its complete rounds, to be resumed).
    """

    def __init__(self, fs: FileSystem, path: str, shown: str | None = None):
        self.fs, self.path = fs, path.rstrip("/") or path
        self.shown = (shown or path).rstrip("/") or shown or path
        self.manifest: dict[str, Any] = {}
        self.previous: str | None = None  # an earlier finished run, moved aside until this one finishes
        self.created = False
        self.emptied = False  # written into an existing empty folder: emptied again after a failure

    def check(self) -> None:
        """Refuse a folder this run cannot write into (before any work)."""
        state = state_of(self.fs, self.path)
        if state == "other":
            if not self.fs.isdir(self.path):
                raise UsageError(f"{self.shown} is a file, expected a folder for the run's rounds", key="output")
            raise UsageError(f"the folder {self.shown} holds other files; name a new or empty folder, or one "
                             "a gnnprop run wrote", key="output")
        if state == "stopped":
            raise UsageError(f"{self.shown} holds a run that was stopped before it finished; continue it with "
                             f"--resume {self.shown}, or remove the folder", key="output")

    def begin(self, manifest: dict[str, Any], params: bytes | None) -> None:
        self.check()
        try:
            if state_of(self.fs, self.path) == "finished":
                self.previous = self.fs.aside(self.path)
                self.fs.delete(self.previous)  # the name is reserved; the folder is moved there
                self.fs.rename(self.path, self.previous)
            if self.fs.exists(self.path):  # empty: written into as it is (it may be a mount point)
                self.emptied = True
            else:
                self.fs.mkdir(self.path)
                self.created = True
            self.manifest = {**manifest, "status": "running",
                             "replaces": None if self.previous is None else os.path.basename(self.previous)}
            if params is not None:
                self.fs.write_bytes(join(self.path, PARAMS), params)
                self.manifest["params"] = PARAMS
            self._save()
        except BaseException:  # a full disk, a read-only folder: nothing of this run is left
            self.manifest = {}
            self.abort(keep=False)
            raise

    def resume(self, manifest: dict[str, Any]) -> None:
        """Continue a stopped run: drop what its last, unfinished round left behind."""
        self.manifest = dict(manifest, status="running")
        self._drop_unfinished()
        replaced = manifest.get("replaces")
        self.previous = None if not replaced else join(os.path.dirname(self.path) or ".", replaced)
        self.created = False
        self._save()

    def round(self, r: int, write_part: Callable[[str], None], record: dict[str, Any]) -> None:
        """Write round ``r`` (``write_part(folder)`` writes its files), then note it in the manifest with
        the run's ``record`` so far (rounds run, deltas, ...)."""
        target = join(self.path, round_name(r))
        if self.fs.exists(target):
            self.fs.delete(target)
        write_part(target)
        written = self.manifest["written"]
        written["rounds"] = sorted(set(written["rounds"]) | {r})
        self.manifest.update(record)
        self._save()

    def finish(self, record: dict[str, Any]) -> None:
        self.manifest.update(record, status="finished")
        self._save()
        self.fs.write_bytes(join(self.path, SUCCESS), b"")
        if self.previous is not None:
            self.fs.delete(self.previous)

    def abort(self, keep: bool) -> None:
        """After a failure: an interrupted run (``keep``) leaves its complete rounds, marked stopped, for
        ``--resume``, unless it was replacing an earlier run, which is put back; any other failure
        removes what this run made (and puts an earlier run back)."""
        self.fs.settle()
        if keep and self.previous is None and self.manifest:
            self.manifest["status"] = "stopped"
            try:
                self._drop_unfinished()
                self._save()
            except OSError:
                pass
            return
        if self.created:
            self.fs.delete(self.path)
        elif self.emptied:
            for name in self.fs.listdir(self.path):
                self.fs.delete(join(self.path, name))
        if self.previous is not None and self.fs.exists(self.previous):
            if self.fs.exists(self.path):
                self.fs.delete(self.path)
            self.fs.rename(self.previous, self.path)

    def _drop_unfinished(self) -> None:
        """Remove the round folders the manifest does not list (a round cut short, its temporary files)."""
        done = set(self.manifest["written"]["rounds"])
        for name in self.fs.listdir(self.path):
            if name.startswith("round=") and not (name[6:].isdigit() and int(name[6:]) in done):
                self.fs.delete(join(self.path, name))

    def _save(self) -> None:
        data = json.dumps(self.manifest, indent=1, default=_plain) + "\n"
        self.fs.write_bytes(join(self.path, MANIFEST), data.encode("utf-8"))


def _plain(value: Any) -> Any:
    """JSON for what the manifest may hold besides plain data (numpy numbers)."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def manifest_for(*, engine: str, config: dict, dtype: str, graph: dict | None, node_features: dict | None,
                 layer_file: dict | None, num_nodes: int, num_edges: int, in_width: int, width: int,
                 every: int, last: bool, nodes: list | None) -> dict[str, Any]:
    """A new run's manifest (the rounds and why it stopped are added as it goes)."""
    return {
        "gnnprop_run": SCHEMA, "gnnprop": __version__, "engine": engine, "config": config, "dtype": dtype,
        "graph": graph or {}, "node_features": node_features, "layer_file": layer_file,
        "num_nodes": num_nodes, "num_edges": num_edges, "in_width": in_width, "width": width,
        "written": {"every": every, "last": last, "nodes": nodes, "rounds": []},
        "rounds_run": 0, "deltas": [], "nonfinite_round": None, "stop_reason": None, "converged": None,
    }
