"""Build static reveal.js slide decks of the notebooks that open with no network.

    python scripts/build_slides.py          # every notebook -> build/slides/NN_name.slides.html
    python scripts/build_slides.py notebooks/00_welcome.ipynb

nbconvert's slides load reveal.js, require.js, jQuery and MathJax from CDNs. This script fetches the
same libraries once from the npm registry (`npm pack`, at build time; nothing is committed) into
build/slides/vendor/ and points nbconvert at them. Live widgets need a kernel, so in the static
deck each widget shows the PNG picture of its state that it stored next to itself.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "slides"
VENDOR = OUT / "vendor"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# npm package -> folder under vendor/; versions are the ones nbconvert's templates expect.
PACKAGES = {
    "reveal.js@4.0.2": "reveal.js",
    "requirejs@2.3.6": "requirejs",
    "jquery@2.2.4": "jquery",
    "mathjax@2.7.7": "mathjax",
}


def vendor_libraries() -> None:
    """Unpack each npm package into vendor/<name>/ unless it is already there."""
    for spec, folder in PACKAGES.items():
        target = VENDOR / folder
        if (target / "package.json").exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                check=True,
                capture_output=True,
            )
            (tarball,) = Path(tmp).glob("*.tgz")
            with tarfile.open(tarball) as tf:
                tf.extractall(tmp, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / "package").rename(target)


def static_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop live-widget views (they need a kernel) so each widget's stored PNG is shown."""
    nb = nbformat.from_dict(notebook)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_MIME, None)
    return nb


def write_mermaid_stub() -> None:
    """The template imports mermaid (diagrams) from a CDN on every deck; no notebook draws one,
    so a local module with the same interface stands in."""
    (VENDOR / "mermaid-stub.mjs").write_text("export default { initialize() {} };\n")


def exporter() -> SlidesExporter:
    slides = SlidesExporter()
    slides.reveal_theme = "white"  # its fonts ship with reveal.js; "simple" loads Google Fonts
    slides.reveal_url_prefix = "vendor/reveal.js"
    slides.mermaid_js_url = "./vendor/mermaid-stub.mjs"
    slides.require_js_url = "vendor/requirejs/require.js"
    slides.jquery_url = "vendor/jquery/dist/jquery.min.js"
    slides.mathjax_url = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    return slides


def build(path: Path) -> Path:
    body, _ = exporter().from_notebook_node(static_copy(nbformat.read(path, as_version=4)))
    out = OUT / f"{path.stem}.slides.html"
    out.write_text(body, encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    vendor_libraries()
    write_mermaid_stub()
    for path in args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        print(f"wrote {build(path).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
