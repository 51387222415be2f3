"""Notebook 09's view: the "temperature" slider over a character model's next guess.

For a fixed prompt it shows, at the slider's temperature T (0.05 … 3, log scale):
- bars: P(next character | prompt) at T for the characters most likely at T = 1 (kept in
  that order, so only the heights move);
- a curve: how many characters the guess effectively chooses among, exp(entropy), for
  every T, with a dot at the slider's T;
- a continuation of the prompt written at T with a fixed sampler seed: moving the slider
  back to a value shows the same text again.

The numbers come from :mod:`rnn_helpers.lessons.n09_language_models`; this module only
draws. Each update is analytic (no training): a softmax and ~120 steps of the char-RNN.
"""

from __future__ import annotations

import math
import textwrap

import ipywidgets as widgets
import numpy as np

from rnn_helpers.lessons.n09_language_models import (
    CharVocab,
    continuation,
    effective_choices,
    prompt_logits,
)
from rnn_helpers.sampling import softmax_with_temperature
from rnn_helpers.widgets.base import (
    PALETTE,
    SLIDER_STYLE,
    SLIDER_WIDTH,
    BlitFigureImage,
    Message,
    ViewBox,
)

__all__ = ["TemperatureView", "temperature_view", "describe_temperature", "shown_text",
           "T_MIN", "T_MAX"]

T_MIN, T_MAX = 0.05, 3.0
TOP = 12          # bars shown
WRAP = 84         # characters per line of the continuation
LINES = 5         # lines of continuation shown


def describe_temperature(temperature: float, top_prob: float, choices: float, V: int) -> str:
    """A sentence on what temperature ``temperature`` does to the next-character guess."""
    t = temperature
    if t < 0.3:
        how = ("far below 1: much sharper than the model's own probabilities, almost greedy "
               "(one or two characters take nearly all the probability), so the text tends "
               "to repeat itself")
    elif t < 0.9:
        how = "below 1: sharper than the model's own probabilities (less random)"
    elif t <= 1.1:
        how = "about 1: the model's own probabilities"
    elif t <= 2.0:
        how = "above 1: flatter than the model's probabilities (more random)"
    else:
        how = ("far above 1: much flatter, unlikely characters are picked often and the "
               "text falls apart into noise")
    return (f"temperature {t:.2f} — {how}. The top character gets {100 * top_prob:.0f}%; the "
            f"guess chooses among about {choices:.1f} of the {V} characters.")


def shown_text(prompt: str, text: str, width: int = WRAP, lines: int = LINES) -> str:
    """Prompt + continuation as at most ``lines`` lines of ``width`` characters: newlines
    kept (marked ↵), long lines wrapped, the rest cut with "…"."""
    marked = []
    for line in (prompt + text).split("\n"):
        pieces = textwrap.wrap(line, width, drop_whitespace=False, replace_whitespace=False)
        marked.extend(pieces or [""])
        marked[-1] += "↵"  # where the text itself has a newline
    marked[-1] = marked[-1][:-1]  # the last line ends the text, not in a newline
    if len(marked) > lines:
        marked = marked[:lines]
        marked[-1] = marked[-1][: width - 1] + "…"
    return "\n".join(marked)


class TemperatureView:
    """Slider "temperature" (log scale, 0.05 … 3) for the char-RNN ``params``."""

    def __init__(self, params: dict, vocab: CharVocab, prompt: str = "The ",
                 temperature: float = 1.0, *, seed: int = 0, length: int = 160):
        self.params, self.vocab, self.prompt = params, vocab, prompt
        self.seed, self.length = seed, length
        self.logits = prompt_logits(params, vocab, prompt)  # checks the prompt, once
        V = len(vocab)
        self.slider = widgets.FloatLogSlider(
            value=temperature, base=10, min=math.log10(T_MIN), max=math.log10(T_MAX),
            step=0.01, description="temperature", readout_format=".3g",
            continuous_update=True, style=SLIDER_STYLE, layout=widgets.Layout(width=SLIDER_WIDTH))
        self.figure = BlitFigureImage(figsize=(9.6, 4.3))
        self.message = Message()
        fig = self.figure.fig
        grid = fig.add_gridspec(2, 2, width_ratios=[2.3, 1], height_ratios=[1.5, 1])
        ax_bar, ax_ch = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        ax_text = fig.add_subplot(grid[1, :])

        # Bars: the characters most likely at T = 1, in that order.
        p1 = softmax_with_temperature(self.logits, 1.0)
        self.order = np.argsort(-p1, kind="stable")[:TOP]
        labels = [CharVocab.shown(vocab.chars[i]) for i in self.order]
        self.bars = ax_bar.bar(np.arange(TOP), np.zeros(TOP), color=PALETTE[0], width=0.7)
        ax_bar.set_xticks(np.arange(TOP), labels, fontsize=12, family="monospace")
        ax_bar.set_ylim(0, 1.0)
        ax_bar.set_ylabel("P(next character)")
        ax_bar.set_xlabel(f"the {TOP} characters most likely at temperature 1 (␣ space, ↵ newline)")
        # A placeholder of the final length, so tight() leaves room for the title.
        self.bar_title = ax_bar.set_title(f"after {prompt!r}, at temperature 1.00", fontsize=10)
        self.rest = ax_bar.text(TOP - 0.5, 0.95, "", ha="right", va="top", fontsize=9,
                                color="0.3")

        # Effective number of choices for every temperature: computed once.
        grid_t = np.geomspace(T_MIN, T_MAX, 120)
        choices = effective_choices(softmax_with_temperature(
            np.broadcast_to(self.logits, (len(grid_t), V)) / grid_t[:, None], 1.0))
        ax_ch.plot(grid_t, choices, color=PALETTE[4], lw=2)
        ax_ch.axvline(1.0, color="0.75", lw=0.8, ls="--")
        ax_ch.set_xscale("log")
        ax_ch.set_yscale("log")
        ax_ch.set_xlim(T_MIN, T_MAX)
        ax_ch.set_ylim(0.8, V * 1.3)
        ax_ch.axhline(V, color="0.75", lw=0.8)
        ax_ch.text(T_MIN * 1.1, V * 0.8, f"all {V}", fontsize=8, color="0.4", va="top")
        ax_ch.set_xlabel("temperature (log scale)")
        ax_ch.set_ylabel("characters to choose among\nexp(entropy)")
        (self.dot,) = ax_ch.plot([1.0], [1.0], "o", color=PALETTE[3], ms=8, clip_on=False)

        ax_text.set_axis_off()
        ax_text.set_title(f"written after the prompt (sampler seed {seed}; the prompt in "
                          "front, the model's own text after it)", fontsize=9, loc="left")
        self.text = ax_text.text(0.0, 1.0, "", family="monospace", fontsize=9.5, va="top",
                                 ha="left", transform=ax_text.transAxes, parse_math=False)
        self.figure.tight()
        self.figure.set_dynamic([*self.bars, self.bar_title, self.rest, self.dot, self.text])
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(temperature)
        self.widget = ViewBox([self.slider, self.figure.widget, self.message.widget])

    def frame(self, temperature: float) -> dict:
        """Everything one update shows, computed without drawing (tests call this)."""
        probs = softmax_with_temperature(self.logits, temperature)
        text = continuation(self.params, self.vocab, self.prompt, temperature, self.length,
                            seed=self.seed)
        return {"probs": probs, "shown": probs[self.order], "text": text,
                "choices": float(effective_choices(probs)), "top": float(probs.max())}

    def update(self, temperature: float) -> None:
        """Redraw the bars, the dot, the text and the message for ``temperature``."""
        temperature = float(np.clip(temperature, T_MIN, T_MAX))
        f = self.frame(temperature)
        for bar, height in zip(self.bars, f["shown"], strict=True):
            bar.set_height(height)
        self.bar_title.set_text(f"after {self.prompt!r}, at temperature {temperature:.2f}")
        self.rest.set_text(f"the other {len(self.vocab) - TOP} characters: "
                           f"{max(0.0, 100 * (1 - f['shown'].sum())):.1f}%")
        self.dot.set_data([temperature], [f["choices"]])
        self.text.set_text(shown_text(self.prompt, f["text"]))
        self.message.set(describe_temperature(temperature, f["top"], f["choices"],
                                              len(self.vocab)))
        self.last = f
        self.figure.render()


def temperature_view(params: dict, vocab: CharVocab, prompt: str = "The ",
                     temperature: float = 1.0, seed: int = 0):
    """Build the "temperature" view and return its widget (display it in a cell)."""
    return TemperatureView(params, vocab, prompt, temperature, seed=seed).widget
