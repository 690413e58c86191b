"""Human approval before promotion: the ``approval_check`` tag gate (lecture 6, the deployment stage).

Databricks' deployment jobs pause before the production step until a person approves the model version
(an ``approval_check`` tag set to ``"approved"``). The same gate on the open-source registry: the
``Champion`` alias moves to a version only when that version's tag :data:`APPROVAL_TAG` reads
``"approved"``; otherwise :func:`promote_approved` refuses with :class:`ApprovalRequired` and says what the
tag reads and who can change it. The automated checks (chapter 09's validation) run before; the human
signs last.
"""

from __future__ import annotations

from mlops_edu.deployment.registry import (CHAMPION, MODEL_NAME, PREVIOUS_CHAMPION_TAG, RegistryError, _client,
                                           version_by_alias)

APPROVAL_TAG = "approval_check"
"""Model-version tag a human sets to ``"approved"`` to let the version become ``Champion``."""
APPROVED = "approved"
PENDING = "pending"
APPROVER_TAG = "approved_by"


class ApprovalRequired(PermissionError):
    """Promotion refused: the version's ``approval_check`` tag does not read ``"approved"``."""


def request_approval(version: int, name: str = MODEL_NAME) -> str:
    """Mark ``version`` as waiting for a human (``approval_check = "pending"``); returns the tag value.

    Parameters
    ----------
    version : int
        Model version.
    name : str
        Registered-model name.

    Returns
    -------
    str
        ``"pending"``.
    """
    _client().set_model_version_tag(name, str(int(version)), APPROVAL_TAG, PENDING)
    return PENDING


def approve(version: int, approver: str, name: str = MODEL_NAME) -> None:
    """A human approves ``version``: ``approval_check = "approved"`` and ``approved_by = approver``.

    Parameters
    ----------
    version : int
        Model version.
    approver : str
        Who approves (stored stripped of surrounding spaces).
    name : str
        Registered-model name.

    Raises
    ------
    ValueError
        When ``approver`` is empty or blank.
    """
    if not approver or not approver.strip():
        raise ValueError("approve(): name the person who approves")
    client = _client()
    client.set_model_version_tag(name, str(int(version)), APPROVAL_TAG, APPROVED)
    client.set_model_version_tag(name, str(int(version)), APPROVER_TAG, approver.strip())


def approval_status(version: int, name: str = MODEL_NAME) -> str:
    """What ``approval_check`` reads on ``version`` (``"missing"`` when the tag was never set).

    Parameters
    ----------
    version : int
        Model version.
    name : str
        Registered-model name.

    Returns
    -------
    str
    """
    return _client().get_model_version(name, str(int(version))).tags.get(APPROVAL_TAG, "missing")


def promote_approved(version: int, name: str = MODEL_NAME, alias: str = CHAMPION) -> tuple[int | None, int]:
    """Move ``alias`` to ``version`` if, and only if, a human approved it.

    The version that held the alias is remembered in the new one's ``previous_champion`` tag, so
    :func:`mlops_edu.deployment.registry.rollback` can move the alias back.

    Parameters
    ----------
    version : int
        Model version to promote.
    name : str
        Registered-model name.
    alias : str
        Alias to move (default ``Champion``).

    Returns
    -------
    tuple of (int or None, int)
        The version that held ``alias`` before (``None`` if none) and ``version``.

    Raises
    ------
    ApprovalRequired
        The tag is missing or does not read ``"approved"`` (the alias does not move).
    RegistryError
        When ``alias`` already points at ``version``.
    """
    status = approval_status(version, name)
    if status != APPROVED:
        raise ApprovalRequired(f"{name} version {int(version)} cannot become {alias}: its {APPROVAL_TAG!r} tag "
                               f"reads {status!r}, not {APPROVED!r}. A reviewer approves it with "
                               f"approve({int(version)}, approver=...) after reading the validation report")
    client = _client()
    current = version_by_alias(alias, name)
    if current is not None and int(current.version) == int(version):
        raise RegistryError(f"{name}@{alias} already is version {int(version)}")
    if current is not None:
        client.set_model_version_tag(name, str(int(version)), PREVIOUS_CHAMPION_TAG, str(current.version))
    client.set_registered_model_alias(name, alias, str(int(version)))
    return (int(current.version) if current is not None else None), int(version)
