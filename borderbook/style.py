"""One look for every figure of the book, fixed here and nowhere else.

The palette is Okabe and Ito's, which stays distinguishable for the common forms
of colour blindness; figures also differ by hatching and line style so that they
survive grayscale print. Text is stored as paths, so an SVG renders the same
everywhere and offline, and the hash salt is fixed so the bytes are reproducible.
"""

from types import MappingProxyType

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

#: Okabe–Ito colours, in the order figures use them
PALETTE = MappingProxyType({
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
})
#: hatches that tell series apart in grayscale
HATCHES = ("", "///", "...", "xx", "\\\\", "++")

RC = MappingProxyType({
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE.values())),
    "axes.grid": True,
    "axes.grid.axis": "x",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "borderbook",
    "pdf.fonttype": 42,
    "savefig.bbox": "tight",
})


def apply() -> None:
    """Set the book's matplotlib style for this process."""
    plt.rcParams.update(RC)
