"""The bench's bar chart (``fastsvd bench --plot``).

matplotlib is optional, so it is imported only here and only when a chart is
asked for; ``require_matplotlib`` lets the command line fail before a
benchmark that can take minutes, not after it.
"""
from __future__ import annotations

import numpy as np

# fastsvd is not on a package index: the extra installs only from a checkout.
INSTALL_HINT = 'pip install matplotlib (or, in a fastsvd checkout, pip install ".[plot]")'


class PlotUnavailable(Exception):
    """matplotlib is not installed."""


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotUnavailable(f"--plot needs matplotlib, which is not installed: "
                              f"{INSTALL_HINT}") from None


def ratio_label(ratio: float) -> str:
    """'0.8×', '5.1×', '38×': one decimal below 10×, where rounding to a whole
    number would misstate the ratio (0.8× is not 1×)."""
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:,.0f}×"


def plot_bench(rows, path):
    """Bars of numpy's, fastsvd's and the memory floor's ns per matrix for each
    shape, log scale, fastsvd's speed-up over each of its bars; saved to path
    (the format follows its suffix).  Returns the matplotlib Figure."""
    require_matplotlib()
    # A bare Figure, not pyplot: no global backend or figure state is touched.
    from matplotlib.figure import Figure

    labels = [f"{r.shape[0]}×{r.shape[1]}" for r in rows]
    x = np.arange(len(rows))
    width = 0.27
    fig = Figure(figsize=(1.4 * len(rows) + 3, 4.5))
    ax = fig.add_subplot()
    ax.bar(x - width, [r.numpy_ns for r in rows], width, label="numpy.linalg.svd")
    ax.bar(x, [r.fastsvd_ns for r in rows], width, label="fastsvd")
    ax.bar(x + width, [r.floor_ns for r in rows], width, color="0.75",
           label="memory floor (read A, write fresh U, S, Vh)")
    for xi, r in zip(x, rows):
        ax.annotate(ratio_label(r.ratio), (xi, r.fastsvd_ns), ha="center", va="bottom")
    ax.set_yscale("log")
    ax.set_xticks(x, labels)
    ax.set_ylabel("ns per matrix (log scale)")
    ax.set_title(f"Full SVD, {rows[0].dtype}, one thread "
                 "(the labels: fastsvd's speed-up over numpy)")
    ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return fig
