"""The web book: ``python run_all.py --book`` renders the executed chapters into a static site.

What course sites built with Jupyter Book offer, offline: Sphinx + myst-nb with ``nb_execution_mode =
"off"`` (the committed notebooks already hold their outputs; nothing is re-executed), the
``sphinx-book-theme`` layout (chapter navigation, previous/next links, search), the lecture map of chapter
00 as the landing page, the EN/KO glossary as its own page, and one page per chapter that links to its
notebook file. Calls of ``qN.hint()`` and ``qN.solution()`` are collapsed (click to reveal), as in the
learntools exercises the workbook follows. Pure Python, no Node, no network: ``results/book/index.html``
opens from the file system or any static server.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from mlops_edu.workbook.notebooks import CHAPTER_RE

COLLAPSED_CALL = re.compile(r"^\s*q\d+\.(hint|solution)\(\)\s*$", re.M)
"""Cells that reveal a hint or a solution: collapsed in the book."""

CONF = '''
project = "mlops-workbook"
author = "the mlops-workbook authors"
extensions = ["myst_nb"]
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
html_theme = "sphinx_book_theme"
html_title = "MLOps, reproducibly: the workbook"
html_theme_options = {"show_toc_level": 2, "use_download_button": False, "use_fullscreen_button": False,
                      "navigation_with_keys": False}
html_context = {"default_mode": "light"}
html_favicon = "_static/favicon.svg"
html_static_path = ["_static"]
exclude_patterns = ["_build", "notebooks"]
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]
'''


FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
           'fill="#4c72b0"/><path d="M3 12V4l5 5 5-5v8" stroke="#fff" stroke-width="2" fill="none"/></svg>')


def _markdown_table(frame) -> str:
    cols = list(frame.columns)
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    rows += ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(rows)


def _chapter_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            return cell.source.lstrip().splitlines()[0][2:].strip()
    return "chapter"


def chapter_page(path: Path) -> nbformat.NotebookNode:
    """The notebook as the book shows it: a link to the notebook file on top, hint/solution cells collapsed.

    Parameters
    ----------
    path : Path
        An executed chapter notebook (only read).

    Returns
    -------
    nbformat.NotebookNode
        The link is a markdown cell after the first markdown cell; ``qN.hint()`` and ``qN.solution()``
        cells get the ``hide-input`` and ``hide-output`` tags.
    """
    nb = nbformat.read(path, as_version=4)
    link = nbformat.v4.new_markdown_cell(
        f"*This page is the executed notebook {{download}}`{path.name} <../notebooks/{path.name}>`: open it "
        "in JupyterLab to run it yourself (see the README's quick start).*")
    link["id"] = "book-link"
    insert_at = next((i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
    nb.cells.insert(insert_at, link)
    for cell in nb.cells:
        if cell.cell_type == "code" and COLLAPSED_CALL.search(cell.source):
            tags = cell.metadata.setdefault("tags", [])
            for tag in ("hide-input", "hide-output"):
                if tag not in tags:
                    tags.append(tag)
    return nb


def write_sources(chapters: list[Path], source: Path) -> list[str]:
    """Sphinx sources of the book in ``source``; returns the chapter page names in order.

    Parameters
    ----------
    chapters : list of Path
        Executed chapter notebooks.
    source : Path
        A new folder (it must not hold ``chapters/``, ``notebooks/`` or ``_static/`` yet); it gets
        ``conf.py``, the landing page (the lecture map of the available chapters), the glossary, one page per
        chapter and a copy of each notebook.

    Returns
    -------
    list of str
        ``chapters/<notebook stem>`` per chapter.
    """
    from mlops_edu.workbook.guide import chapter_map, glossary

    (source / "chapters").mkdir(parents=True)
    (source / "notebooks").mkdir()
    (source / "conf.py").write_text(CONF, encoding="utf-8")
    (source / "_static").mkdir()
    (source / "_static" / "favicon.svg").write_text(FAVICON, encoding="utf-8")
    pages = []
    for path in chapters:
        nbformat.write(chapter_page(path), source / "chapters" / path.name)
        shutil.copyfile(path, source / "notebooks" / path.name)
        pages.append(f"chapters/{path.stem}")
    workbook = chapters[0].parent if chapters else None
    lecture_map = chapter_map(workbook)
    lecture_map = lecture_map[lecture_map["available"]].drop(columns=["available"])
    toc = "\n".join(pages + ["glossary"])
    index = ("# MLOps, reproducibly: the workbook\n\n"
             "Every chapter mirrors a section of the lecture \"MLOps\" and was executed as shown: every number "
             "on these pages is reproducible to the byte (`python run_all.py`), and `pytest` re-executes each "
             "chapter and compares it with what you see here.\n\n"
             "## The lecture map\n\n" + _markdown_table(lecture_map) +
             "\n\nThe lecture's terms in English and Korean are in the [glossary](glossary.md).\n\n"
             f"```{{toctree}}\n:maxdepth: 1\n:caption: Chapters\n\n{toc}\n```\n")
    (source / "index.md").write_text(index, encoding="utf-8")
    terms = glossary()
    (source / "glossary.md").write_text("# Glossary (EN / KO)\n\n" + _markdown_table(terms) + "\n", encoding="utf-8")
    return pages


def build_book(workbook: Path, out: Path, *, chapters: list[Path] | None = None) -> Path:
    """Render the executed chapters of ``workbook`` into a static HTML site in ``out``; returns
    ``out / "index.html"``. Nothing is executed; a chapter that was never executed shows no outputs.

    Parameters
    ----------
    workbook : Path
        Folder of the chapters ``NN_*.ipynb``.
    out : Path
        Output folder; an existing one is replaced.
    chapters : list of Path or None
        The chapters to render; default every chapter of ``workbook``.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        When there is no chapter.
    RuntimeError
        When sphinx-build fails.
    """
    from sphinx.cmd.build import build_main

    chapters = chapters or sorted(p for p in workbook.glob("*.ipynb") if CHAPTER_RE.match(p.name))
    if not chapters:
        raise ValueError(f"no chapter notebooks NN_*.ipynb in {workbook}")
    with tempfile.TemporaryDirectory(prefix="mlops-edu-book-") as tmp:
        source = Path(tmp) / "source"
        write_sources(chapters, source)
        if out.exists():
            shutil.rmtree(out)
        code = build_main(["-b", "html", "-q", "-d", str(Path(tmp) / "doctrees"), str(source), str(out)])
    if code != 0:
        raise RuntimeError(f"sphinx-build failed with exit code {code}")
    return out / "index.html"
