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
    """Two panels from :func:`mlops_edu.lab.eda`: customers per internet service, churn rate by contract."""
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
    """ROC curve (with its AUC) and the confusion matrix at ``threshold``, side by side."""
    import matplotlib.pyplot as plt

    from mlops_edu.training.plots import draw_confusion, draw_roc

    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.2))
    draw_roc(left, {"LightGBM": (np.asarray(y_true).astype(int), np.asarray(proba, dtype=float))})
    left.set_title("ROC curve")
    draw_confusion(right, y_true, proba, threshold)
    right.set_title(f"Confusion matrix (threshold {threshold:g})")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_business_value(report: Any, title: str | None = None) -> Figure:
    """Dollar value on the held-out rows: Challenger vs Champion (or vs doing nothing on a first deploy).

    ``report`` is a :class:`mlops_edu.deployment.registry.ValidationReport`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from mlops_edu.business import usd

    labels = [f"Challenger\nv{report.challenger_version}"]
    values = [float(report.challenger_metrics["business_value"])]
    colors = [CHALLENGER_COLOR]
    if report.champion_version is not None:
        labels.append(f"Champion\nv{report.champion_version}")
        values.append(float(report.champion_metrics["business_value"]))
        colors.append(CHAMPION_COLOR)
    else:
        labels.append("no model\n(nobody gets a discount)")
        values.append(float(report.baseline_value))
        colors.append(NEUTRAL_COLOR)
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    bars = ax.bar(labels, values, color=colors, width=0.55)
    for bar, value in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, value, usd(value), ha="center",
                va="bottom" if value >= 0 else "top", fontsize=9)
    ax.axhline(0, color="black", lw=0.8)
    low, high = min(values + [0.0]), max(values + [0.0])
    pad = 0.15 * (high - low or 1.0)
    ax.set_ylim(low - pad, high + pad)
    ax.set_ylabel("value on held-out rows")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{usd(v / 1000)}k" if v else "$0"))
    ax.set_title(title or "Business value: TP x $1500 - FP x $500 - FN x $2000")
    fig.tight_layout()
    return fig


def plot_lineage_chain(chain: Sequence[tuple[str, str]], title: str = "Lineage of the predictions table") -> Figure:
    """Boxes and arrows: bronze table -> training table -> run -> model version -> alias -> predictions."""
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
