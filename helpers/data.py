"""The only code that touches `assets/`: a manifest of shipped files, checksums, loading by name.

Every shipped file is listed in `assets/manifest.json` with its sha256, size, source, licence and
the command that rebuilds it. Loading a file verifies its checksum once per session, so a corrupt
or missing file fails loudly with the command that restores it.

    >>> from helpers import data
    >>> text = data.load_text("shakespeare", split="train")
    >>> names = data.load_names()
"""

from __future__ import annotations

import hashlib
import json
import zlib
from functools import cache
from pathlib import Path
from typing import Literal

ASSETS = Path(__file__).resolve().parents[1] / "assets"
MANIFEST = ASSETS / "manifest.json"

Split = Literal["train", "valid", "all"]
SPLITS = ("train", "valid", "all")

# Named texts: name -> {split: file}. "all" is train followed by valid.
TEXTS = {
    "shakespeare": {"train": "shakespeare_train.txt", "valid": "shakespeare_valid.txt"},
}


class AssetError(RuntimeError):
    """A shipped file is missing, corrupt or unknown."""


@cache
def manifest() -> dict[str, dict[str, object]]:
    """The manifest: file name -> {sha256, size, source, licence, rebuild}."""
    if not MANIFEST.exists():
        raise AssetError(f"{MANIFEST} is missing. Restore it with: git checkout -- assets/")
    return json.loads(MANIFEST.read_text())


@cache
def path(name: str) -> Path:
    """Path of the shipped file `name`, after checking that it exists and its sha256 matches."""
    entries = manifest()
    if name not in entries:
        valid = ", ".join(sorted(entries))
        raise AssetError(f"unknown asset {name!r}; the shipped files are: {valid}")
    entry = entries[name]
    file = ASSETS / name
    if not file.exists():
        raise AssetError(f"asset file {file} is missing. Rebuild it with: {entry['rebuild']}")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if digest != entry["sha256"]:
        raise AssetError(
            f"asset file {file} is corrupt (sha256 {digest[:12]}..., expected "
            f"{str(entry['sha256'])[:12]}...). Rebuild it with: {entry['rebuild']}"
        )
    return file


def verify_all() -> dict[str, bool]:
    """Check every file in the manifest; return name -> ok (never raises for a bad file)."""
    status = {}
    for name in manifest():
        try:
            path(name)
            status[name] = True
        except AssetError:
            status[name] = False
    return status


def load_text(name: str, split: Split = "all") -> str:
    """A named corpus as one string. `split` is "train", "valid" or "all" (train then valid).

    The Shakespeare corpus is split by play: the validation text is four whole plays (Julius
    Caesar, The Tempest, Twelfth Night, Richard II), about 9% of the words.
    """
    if name not in TEXTS:
        raise AssetError(f"unknown text {name!r}; the texts are: {', '.join(sorted(TEXTS))}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    parts = ("train", "valid") if split == "all" else (split,)
    return "".join(path(TEXTS[name][part]).read_text(encoding="utf-8") for part in parts)


def load_json(name: str) -> object:
    """A shipped JSON file (e.g. precomputed training curves), checksum verified."""
    return json.loads(path(name).read_text(encoding="utf-8"))


def load_gender_specific_words() -> list[str]:
    """Bolukbasi et al. (2016)'s gender-specific words (he, mother, bride, ...), lower-cased,
    sorted, without repeats: about 1,300 words and phrases (phrases joined by "_"). Hard-debiasing
    neutralises every word *not* in this list. Shipped unchanged from tolga-b/debiaswe (MIT)."""
    words = json.loads(path("gender_specific_full.json").read_text(encoding="utf-8"))
    return sorted({str(w).lower() for w in words})


def differs(built: dict[str, bytes]) -> list[str]:
    """Names of freshly built files whose sha256 is not the shipped one (for `--check` runs)."""
    shipped = manifest()
    return [
        name
        for name, content in built.items()
        if shipped.get(name, {}).get("sha256") != hashlib.sha256(content).hexdigest()
    ]


def record(name: str, content: bytes, source: str, licence: str, rebuild: str) -> None:
    """Write a built asset and its manifest entry (used by the scripts that build assets)."""
    (ASSETS / name).write_bytes(content)
    entries = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    entries[name] = {
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "source": source,
        "licence": licence,
        "rebuild": rebuild,
    }
    MANIFEST.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n")
    manifest.cache_clear()
    path.cache_clear()


NAME_SPLITS = ("train", "valid", "test", "all")


def check_or_record(
    built: dict[str, bytes], check: bool, source: str, licence: str, rebuild: str
) -> int:
    """What a rebuilding script ends with. With `check`, compare the built assets with the
    shipped ones and print "identical" or which differ; otherwise record them (files and
    manifest). Returns the script's exit code: 1 if a check found a difference, else 0.

    Files made by training are repeatable bit for bit only on a CPU that rounds like the one
    that built them: elsewhere a difference is expected, and the printed note says what to
    compare instead."""
    if check:
        diff = differs(built)
        print("identical" if not diff else f"differs: {', '.join(diff)}")
        if diff:
            print(
                "(a file made by training is bit-for-bit repeatable only on a CPU that rounds "
                "like the one that built it; on another, compare the losses it records, which "
                "should agree within the seed-to-seed spread)"
            )
        return 1 if diff else 0
    for name, content in built.items():
        record(name, content, source, licence, rebuild)
    return 0


def load_names(split: Literal["train", "valid", "test", "all"] = "all") -> list[str]:
    """Lower-case first names (1990 US census), sorted. About 5,200 names.

    The split is fixed by a checksum of each name, so it does not depend on the order of the file:
    "valid" holds the names with crc32(name) % 10 == 0 and "test" those with crc32(name) % 10 == 1
    (about 10% each); "train" holds the rest. "test" is for a final report only, never for
    choosing a model or stopping its training.
    """
    if split not in NAME_SPLITS:
        raise ValueError(f"split must be one of {NAME_SPLITS}, got {split!r}")
    names = path("names.txt").read_text(encoding="ascii").split()
    if split == "all":
        return names
    bucket = {"valid": 0, "test": 1}
    buckets = [zlib.crc32(n.encode()) % 10 for n in names]
    if split == "train":
        return [n for n, b in zip(names, buckets, strict=True) if b not in bucket.values()]
    return [n for n, b in zip(names, buckets, strict=True) if b == bucket[split]]
