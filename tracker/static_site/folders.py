"""Build folders beside the site's path, the atomic switch, the lock, and each build's manifest.

Each build is a new folder `<name>.<timestamp>`; the site's path is a symbolic link switched
to it with one atomic rename. The manifest (the plan and fingerprints an incremental build
compares with, and the database it was made from) is kept beside the build as
`.<name>.<timestamp>.manifest.json`, outside the folder a web server serves."""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tracker.static_site.plan import SitePlan


class BuildError(Exception):
    """The site cannot be built as asked; nothing was changed."""


MANIFEST_VERSION = 1
MANIFEST_SUFFIX = ".manifest.json"


BUILD_STAMP = re.compile(r"^\d{8}T\d{6}\.\d{6}(-\d+)?$")


def database_name() -> str:
    return str(connection.settings_dict["NAME"])


def current_build(out: Path) -> Path | None:
    if out.is_symlink():
        target = out.parent / os.readlink(out)
        return target if target.is_dir() else None
    if out.exists():
        raise BuildError(
            f"{out} exists and is not a symbolic link. build_site keeps each build in its own "
            f"folder beside it and points {out.name} at the latest; move {out} away or choose "
            "another --out."
        )
    return None


def manifest_path(build: Path) -> Path:
    """Where a build's manifest is kept: beside it, never inside the folder that is served."""
    return build.parent / f".{build.name}{MANIFEST_SUFFIX}"


def read_manifest(build: Path | None) -> dict | None:
    if build is None:
        return None
    try:
        manifest = json.loads(manifest_path(build).read_text())
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("version") == MANIFEST_VERSION else None


def write_manifest(build: Path, plan: SitePlan, prints: dict[int, str]) -> None:
    manifest = {
        "version": MANIFEST_VERSION,
        "database": database_name(),
        "plan": plan.to_json(),
        "fingerprints": {str(pk): digest for pk, digest in prints.items()},
    }
    manifest_path(build).write_text(json.dumps(manifest))


def new_build_dir(out: Path) -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%f")
    for attempt in range(1000):
        build = out.parent / (f"{out.name}.{stamp}" + (f"-{attempt}" if attempt else ""))
        try:
            build.mkdir()
        except FileExistsError:
            continue
        return build
    raise BuildError(f"Could not make a new build folder beside {out}.")


def switch_to(out: Path, build: Path) -> None:
    """Point `out` at `build` in one atomic rename, then remove builds older than the previous."""
    previous = out.parent / os.readlink(out) if out.is_symlink() else None
    temporary = out.parent / f".{out.name}.switch-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(build.name, temporary)
    os.replace(temporary, out)
    keep = {build.name, previous.name if previous else None}
    stale = []
    for sibling in out.parent.iterdir():
        name = sibling.name
        is_build = name.startswith(f"{out.name}.") and BUILD_STAMP.match(name[len(out.name) + 1 :])
        is_old = name.startswith(f".{out.name}.old-")  # left by an earlier build
        # Left by an incremental build that was killed (a finished one removes its own).
        is_fresh = name.startswith(f".{out.name}.") and name.endswith(".fresh")
        if name.startswith(f".{out.name}.") and name.endswith(MANIFEST_SUFFIX):
            if name[1 : -len(MANIFEST_SUFFIX)] not in keep and not sibling.is_dir():
                sibling.unlink(missing_ok=True)  # of a build removed now or earlier
            continue
        if not sibling.is_dir() or sibling.is_symlink():
            continue
        if is_build and name not in keep:
            old = out.parent / f".{out.name}.old-{name[len(out.name) + 1 :]}"
            os.rename(sibling, old)
            stale.append(old)
        elif is_old or is_fresh:
            stale.append(sibling)
    remove_in_background(stale)


def remove_in_background(folders: list[Path]) -> None:
    """Delete old builds in a process of their own, not waited for: a
    build is tens of thousands of files, which take seconds to delete, and no reader can reach
    them any more (each was renamed out of the site's sight first; a later build removes whatever
    is left)."""
    if not folders:
        return
    try:
        subprocess.Popen(  # noqa: S603 - a fixed command on our own folders
            ["rm", "-rf", "--", *(str(folder) for folder in folders)],  # noqa: S607
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:  # no `rm`: delete them here
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def build_lock(out: Path):
    """One build at a time per site path (the command and the job may overlap)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class Linking:
    """Hard-links every file of `source` into `target` (a sibling folder, on the same device) in
    a process of its own, started at once: GNU `cp -al`, or Python's `copytree` in `wait` where
    that is missing or fails."""

    def __init__(self, source: Path, target: Path):
        self.source, self.target = source, target
        try:
            self.process: subprocess.Popen | None = subprocess.Popen(  # noqa: S603
                ["cp", "-al", f"{source}/.", str(target)],  # noqa: S607 - our own folders
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self.process = None

    def wait(self) -> None:
        if self.process is not None and self.process.wait() == 0:
            return
        shutil.rmtree(self.target)
        shutil.copytree(self.source, self.target, copy_function=os.link)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def move_files(source: Path, target: Path) -> None:
    """Move every file under `source` to the same place under `target`, replacing what is there
    (a hard link to the previous build's file, which stays as it was)."""
    for folder, _folders, files in os.walk(source):
        into = target / Path(folder).relative_to(source)
        into.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.replace(Path(folder) / name, into / name)
