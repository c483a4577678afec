"""Fetch the pinned front-end libraries from the npm registry into the static folder.

Each package is downloaded as its registry tarball, checked against the pinned Subresource
Integrity hash, and only the listed files are extracted. Run by `make run` / `make test`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tools" / "assets.json"
TARGET = ROOT / "guichet" / "ui" / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"


def tarball_url(name: str, version: str) -> str:
    short = name.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{name}/-/{short}-{version}.tgz"


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"integrity mismatch for downloaded tarball ({algorithm})")


def main() -> int:
    manifest = json.loads(MANIFEST.read_text())
    for package in manifest["packages"]:
        url = tarball_url(package["name"], package["version"])
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (fixed https URL)
            data = response.read()
        check_integrity(data, package["integrity"])
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member_name, destination in package["files"].items():
                member = archive.extractfile(member_name)
                if member is None:
                    raise SystemExit(f"{member_name} missing from {url}")
                path = TARGET / destination
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(member.read())
        sys.stdout.write(f"assets: {package['name']}@{package['version']}\n")
    (TARGET / ".stamp").write_text("ok\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
