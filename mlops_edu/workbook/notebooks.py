"""Notebook files: normalise what papermill wrote, write in Jupyter's own format, build the student edition.
"""

from __future__ import annotations

import ast
import copy
import os
import platform
import re
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Iterable

import nbformat

KERNEL_NAME = "mlops-edu"
IGNORE_OUTPUT_MARK = "# NBVAL_IGNORE_OUTPUT"
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
PLACEHOLDER = "____"
CHAPTER_RE = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
CANONICAL_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CANONICAL_LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": platform.python_version(),
}
"""What ipykernel reports and JupyterLab stores on opening a notebook (``version`` included), so that
opening and saving a committed chapter in JupyterLab leaves it byte-identical."""



# ------------------------------------------------------------------------------------------ normalising
def is_ignored_output_cell(cell: Any) -> bool:
    """True for a code cell whose source starts with ``# NBVAL_IGNORE_OUTPUT`` (its outputs are not compared)."""
    return cell.get("cell_type") == "code" and cell.get("source", "").lstrip().startswith(IGNORE_OUTPUT_MARK)


def normalise(nb: Any, *, keep_volatile_outputs: bool = False) -> Any:
    """Return a copy of ``nb`` without volatile metadata, with stable cell ids.

    Strips papermill metadata and timings, execution timestamps and widget state; sets the kernelspec and
    ``language_info`` that JupyterLab stores (:data:`CANONICAL_LANGUAGE_INFO`: this interpreter's Python
    version, patch included) and nbformat 4.5; drops the ``injected-parameters`` tag; gives missing,
    duplicate or invalid cell ids a stable ``cell-NN`` id; joins consecutive outputs of the same stream;
    empties the outputs of cells whose first line is ``# NBVAL_IGNORE_OUTPUT`` (timings) unless
    ``keep_volatile_outputs``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook (left unchanged).
    keep_volatile_outputs : bool
        Keep the outputs of ``# NBVAL_IGNORE_OUTPUT`` cells (the runner's executed and failed copies).

    Returns
    -------
    nbformat.NotebookNode
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(CANONICAL_KERNELSPEC)
    nb.metadata["language_info"] = dict(CANONICAL_LANGUAGE_INFO)
    nb.nbformat, nb.nbformat_minor = 4, 5
    seen: set[str] = set()
    for i, cell in enumerate(nb.cells):
        for key in ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        tags = [t for t in cell.metadata.get("tags", []) if t != "injected-parameters"]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        cell_id = cell.get("id")
        if not cell_id or cell_id in seen or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cell_id):
            cell_id = f"cell-{i:02d}"
            while cell_id in seen:
                cell_id += "x"
        cell["id"] = cell_id
        seen.add(cell_id)
        if cell.cell_type == "code":
            if is_ignored_output_cell(cell) and not keep_volatile_outputs:
                cell.outputs = []
            cell.outputs = _merge_streams(cell.outputs)
            for out in cell.outputs:
                out.pop("transient", None)
                if "metadata" in out:
                    out.metadata.pop("execution", None)
    return nb


def _merge_streams(outputs: list[Any]) -> list[Any]:
    """Join consecutive stream outputs of the same stream: under load the kernel may send one ``print``
    as several messages, which would change the notebook's bytes from run to run."""
    merged: list[Any] = []
    for out in outputs:
        previous = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == out.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def notebook_text(nb: Any) -> str:
    """``nb`` exactly as Jupyter writes it (``nbformat.write``: sources and outputs as lists of lines, sorted
    keys, one-space indent, a final newline), after validating it against the notebook schema.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.

    Returns
    -------
    str

    Raises
    ------
    nbformat.ValidationError
        When ``nb`` does not match the notebook schema.
    """
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def write_notebook(nb: Any, path: Path) -> None:
    """Write ``nb`` atomically in Jupyter's own format (temp file in the same folder, then ``os.replace``).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook (validated, see :func:`notebook_text`).
    path : Path
        The file; its folder is created if needed. On an error nothing is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = notebook_text(nb)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".ipynb.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------------------- student edition
def _placeholder_lines(block: str) -> list[str]:
    """What a solution block becomes in the student edition: ``name = ____`` and ``def f(..): return ____``.

    Each assigned name gets one ``name = ____`` line; a function keeps its signature and docstring and
    returns ``____``; a block that does not parse (or assigns nothing) becomes ``____``.
    """
    try:
        tree = ast.parse(textwrap.dedent(block))
    except SyntaxError:
        return [PLACEHOLDER]
    lines: list[str] = []
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stub = copy.deepcopy(node)
            doc = ast.get_docstring(node, clean=False)
            stub.body = ([ast.Expr(ast.Constant(doc))] if doc else []) + [
                ast.Return(ast.Name(PLACEHOLDER, ast.Load()))]
            stub.decorator_list = []
            lines.extend(ast.unparse(stub).splitlines())
            continue
        for target in targets:
            if isinstance(target, (ast.Name, ast.Tuple, ast.List)):
                names = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
                for name in names:
                    line = f"{name} = {PLACEHOLDER}"
                    if line not in lines:
                        lines.append(line)
    return lines or [PLACEHOLDER]


def strip_solutions(source: str) -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by placeholder lines.

    The ``BEGIN`` line becomes ``# your code here: replace ____`` (same indentation), the block its
    placeholder lines (:func:`_placeholder_lines`); the ``END`` line is dropped.

    Parameters
    ----------
    source : str
        A code cell's source.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For a nested ``BEGIN``, an ``END`` without ``BEGIN`` or a ``BEGIN`` without ``END``.
    """
    out: list[str] = []
    block: list[str] | None = None
    indent = ""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            if block is not None:
                raise ValueError(f"nested {BEGIN_SOLUTION} in:\n{source}")
            block, indent = [], line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# your code here: replace {PLACEHOLDER}")
        elif stripped == END_SOLUTION:
            if block is None:
                raise ValueError(f"{END_SOLUTION} without {BEGIN_SOLUTION} in:\n{source}")
            out.extend(indent + line for line in _placeholder_lines("\n".join(block)))
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise ValueError(f"{BEGIN_SOLUTION} without {END_SOLUTION} in:\n{source}")
    return "\n".join(out)


def student_edition(nb: Any) -> Any:
    """The student edition of a notebook: solutions replaced by ``____``, outputs cleared.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (left unchanged; the copy is also normalised, :func:`normalise`).

    Returns
    -------
    nbformat.NotebookNode
    """
    nb = normalise(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return nb


def write_student_edition(chapters: Iterable[Path], target: Path) -> list[Path]:
    """Write the student edition of ``chapters`` into ``target``; returns the written paths.

    Parameters
    ----------
    chapters : iterable of Path
        Chapter notebooks.
    target : Path
        Folder, created if needed; files of the same name are replaced.

    Returns
    -------
    list of Path
    """
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters:
        out = target / path.name
        write_notebook(student_edition(nbformat.read(path, as_version=4)), out)
        written.append(out)
    return written


