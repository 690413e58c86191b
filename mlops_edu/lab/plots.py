"""Figures of the end-to-end lab (lecture section 10): EDA, ROC + confusion matrix, dollars, lineage.

Every function returns a matplotlib Figure (the notebook displays it; the training runs log it with
``mlflow.log_figure``). Nothing random, no timestamps: the same inputs draw the same picture.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

CHALLENGER_COLOR = "#dd8452"
CHAMPION_COLOR = "#4c72b0"
NEUTRAL_COLOR = "#8c8c8c"


def plot_eda_bars(tables: dict[str, Any]) -> Figure:
    """Two panels from :func:`mlops_edu.lab.eda`: customers per internet service, churn rate by contract.

    Serves lecture section 10, step 1.

    Parameters
    ----------
    tables : dict
        Output of :func:`mlops_edu.lab.eda` (``"internet"`` and ``"contract"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    internet, contract = tables["internet"], tables["contract"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    left.bar(internet.index.astype(str), internet["customers"], color=CHAMPION_COLOR)
    for x, (n, share) in enumerate(zip(internet["customers"], internet["share"])):
        left.text(x, n, f"{int(n)}\n({share:.0%})", ha="center", va="bottom", fontsize=8)
    left.set_title("Customers per internet service")
    left.set_ylabel("customers")
    left.set_ylim(0, internet["customers"].max() * 1.25)
    right.bar(contract.index.astype(str), contract["churn_rate"], color=CHALLENGER_COLOR)
    for x, rate in enumerate(contract["churn_rate"]):
        right.text(x, rate, f"{rate:.1%}", ha="center", va="bottom", fontsize=8)
    right.set_title("Churn rate by contract")
    right.set_ylabel("share of customers who left")
    right.set_ylim(0, max(contract["churn_rate"].max() * 1.25, 0.05))
    fig.tight_layout()
    return fig


def plot_roc_and_confusion(y_true: Sequence[int], proba: Sequence[float], threshold: float = 0.5,
                      title: str = "validation") -> Figure:
    """ROC curve (with its AUC) and the confusion matrix at ``threshold``, side by side.

    Serves lecture section 10, step 2 (the figure each training run logs).

    Parameters
    ----------
    y_true : sequence of int
        Labels (1 = churn).
    proba : sequence of float
        Predicted churn probabilities.
    threshold : float
        Decision threshold of the confusion matrix.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from mlops_edu.training.pipeline_plots import draw_confusion, draw_roc

    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.2))
    draw_roc(left, {"LightGBM": (np.asarray(y_true).astype(int), np.asarray(proba, dtype=float))})
    left.set_title("ROC curve")
    draw_confusion(right, y_true, proba, threshold)
    right.set_title(f"Confusion matrix (threshold {threshold:g})")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_business_value(report: Any, title: str | None = None) -> Figure:
    """Dollars on the held-out rows: the Challenger, the Champion (if any) and both policies without a model.

    Serves lecture section 10, step 4.

    Parameters
    ----------
    report : ValidationReport
        A :class:`mlops_edu.deployment.report.ValidationReport`.
    title : str or None
        Title (default: the accounting, TP x $1,500 - FP x $500).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from mlops_edu.business import usd

    bars = [(f"Challenger\nv{report.challenger_version}", report.challenger_metrics["business_value"],
             CHALLENGER_COLOR)]
    if report.champion_version is not None:
        bars.append((f"Champion\nv{report.champion_version}", report.reference_metrics["business_value"],
                     CHAMPION_COLOR))
    bars += [("offers for\neveryone", report.trivial_values["offers for everyone"], NEUTRAL_COLOR),
             ("no offers", report.trivial_values["no offers"], NEUTRAL_COLOR)]
    labels, values, colors = zip(*[(label, float(value), color) for label, value, color in bars])
    fig, ax = plt.subplots(figsize=(6.8, 3.8))
    drawn = ax.bar(labels, values, color=colors, width=0.55)
    for bar, value in zip(drawn, values):
        ax.text(bar.get_x() + bar.get_width() / 2, value, usd(value), ha="center",
                va="bottom" if value >= 0 else "top", fontsize=9)
    ax.axhline(0, color="black", lw=0.8)
    low, high = min(values + (0.0,)), max(values + (0.0,))
    pad = 0.18 * (high - low or 1.0)
    ax.set_ylim(low - pad, high + pad)
    ax.set_ylabel("dollars vs doing nothing")
    ax.set_xlabel(f"decisions on the same {int(sum(report.challenger_metrics[k] for k in ('tp', 'fp', 'fn', 'tn')))} "
                  "held-out customers")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{usd(v / 1000)}k" if v else "$0"))
    ax.set_title(title or "Business value: TP x $1,500 - FP x $500")
    fig.tight_layout()
    return fig


def plot_gains(report: Any, title: str | None = None) -> Figure:
    """The Challenger's gains over its reference with their paired-bootstrap intervals and declared margins.

    Serves lecture section 10, step 4. Two panels: the gain in F1 and the gain in dollars per customer. A
    gain passes when its whole interval lies right of the margin (dashed).

    Parameters
    ----------
    report : ValidationReport
        A :class:`mlops_edu.deployment.report.ValidationReport`.
    title : str or None
        Title (default: Challenger version, reference and the intervals' level).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from mlops_edu.deployment.report import GAINS

    fig, axes = plt.subplots(1, 2, figsize=(9.0, 2.6))
    from mlops_edu.deployment.report import _signed_dollars

    units = {"f1": ("gain in F1", lambda v: f"{v:+.3f}"), "value_per_customer": ("gain in dollars per customer",
                                                                                _signed_dollars)}
    for ax, (check, statistic) in zip(axes, GAINS.items()):
        iv, margin = report.intervals[statistic], report.rule.margin(check)
        label, fmt = units[statistic]
        color = CHALLENGER_COLOR if iv.clears(margin) else NEUTRAL_COLOR
        ax.errorbar([iv.estimate], [0], xerr=[[iv.estimate - iv.low], [iv.high - iv.estimate]], fmt="o",
                    color=color, capsize=6, lw=2)
        ax.axvline(margin, color="black", ls="--", lw=1, label=f"margin {fmt(margin)}")
        ax.axvline(0, color="grey", lw=0.6)
        span = max(abs(iv.low), abs(iv.high), abs(margin), 1e-9)
        ax.set_xlim(-1.25 * span, 1.25 * span)
        ax.set_yticks([])
        ax.set_ylim(-1, 1)
        ax.set_xlabel(label)
        ax.text(iv.estimate, 0.35, f"{fmt(iv.estimate)}\n[{fmt(iv.low)}, {fmt(iv.high)}]", ha="center",
                va="bottom", fontsize=8.5, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.set_title("passes" if iv.clears(margin) else "does not pass", fontsize=10)
    fig.suptitle(title or f"Challenger v{report.challenger_version} vs {report.reference}: "
                 f"{report.rule.level:.0%} paired-bootstrap intervals", fontsize=10.5)
    fig.tight_layout()
    return fig


def plot_lineage_chain(chain: Sequence[tuple[str, str]], title: str = "Lineage of the predictions table") -> Figure:
    """Boxes and arrows: bronze table -> training table -> run -> model version -> alias -> predictions.

    Serves lecture section 10, step 5.

    Parameters
    ----------
    chain : sequence of (str, str)
        ``(kind, label)`` pairs, e.g. from :func:`mlops_edu.lab.lineage_chain`; the ``alias`` box is highlighted.
    title : str
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    n = len(chain)
    fig, ax = plt.subplots(figsize=(2.05 * n, 2.2))
    ax.set_xlim(0, n)
    ax.set_ylim(0, 1)
    ax.axis("off")
    for i, (kind, label) in enumerate(chain):
        color = CHALLENGER_COLOR if kind == "alias" else CHAMPION_COLOR
        ax.add_patch(FancyBboxPatch((i + 0.06, 0.22), 0.76, 0.5, boxstyle="round,pad=0.02",
                                    facecolor=color, alpha=0.18, edgecolor=color))
        ax.text(i + 0.44, 0.79, kind, ha="center", va="bottom", fontsize=8, color="dimgray")
        text = label.replace("mlops_churn_", "mlops_churn_\n").replace("mlops.mlops", "mlops.\nmlops")
        ax.text(i + 0.44, 0.47, text, ha="center", va="center", fontsize=8)
        if i < n - 1:
            ax.annotate("", xy=(i + 1.06, 0.47), xytext=(i + 0.84, 0.47),
                        arrowprops={"arrowstyle": "->", "color": "black"})
    ax.set_title(title)
    fig.tight_layout()
    return fig
