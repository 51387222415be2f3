"""The course's look: one palette and the colour helpers every figure uses (no widgets).

Colours follow Okabe & Ito, a palette that stays distinguishable under the common
colour-vision deficiencies. Prose names them: blue, orange, bluish green, vermillion
("red-orange"), reddish purple, sky blue, yellow, black.
"""

from __future__ import annotations

from matplotlib.colors import to_hex, to_rgb

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def tint(colour, amount: float = 0.2) -> str:
    """``colour`` blended with white: ``amount`` of the colour, ``1 - amount`` of white (hex)."""
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount: expected a fraction in [0, 1], got {amount}")
    return to_hex([amount * c + (1.0 - amount) for c in to_rgb(colour)])
