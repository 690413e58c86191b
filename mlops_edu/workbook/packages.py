"""The packages the workbook runs on: one list, read from the package's own declared requirements.

``pyproject.toml`` declares them (and ``constraints.txt`` pins them); chapter 00's environment check and
the runner's manifest both ask this module instead of keeping lists of their own.
"""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement

DISTRIBUTION = "mlops-edu"


def workbook_packages(extras: tuple[str, ...] = ("dev", "spark")) -> tuple[str, ...]:
    """Names of the distributions ``mlops-edu`` requires, with those of ``extras``, in declared order.

    Parameters
    ----------
    extras : tuple of str
        Optional-dependency groups to include.

    Returns
    -------
    tuple of str
        Each name once.

    Example
    -------
    >>> "mlflow" in workbook_packages(()) and "pytest" not in workbook_packages(())
    True
    """
    names: list[str] = []
    for line in metadata.requires(DISTRIBUTION) or []:
        req = Requirement(line)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras):
            continue
        if req.name not in names:
            names.append(req.name)
    return tuple(names)


def package_versions(names: tuple[str, ...] | None = None) -> dict[str, str | None]:
    """Installed version of each package (``None`` when it is not installed).

    Parameters
    ----------
    names : tuple of str or None
        Package names; default :func:`workbook_packages` (with the ``dev`` and ``spark`` extras).

    Returns
    -------
    dict of str to (str or None)
    """
    versions: dict[str, str | None] = {}
    for name in names if names is not None else workbook_packages():
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
