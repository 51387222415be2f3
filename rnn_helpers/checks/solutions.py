"""``show_solution``: the library's reference code, for a student who asks for it."""

from __future__ import annotations

import inspect
import sys

from rnn_helpers import scratch

__all__ = ["show_solution"]


def show_solution(fn_or_name) -> None:
    """Display the source code of the library's reference implementation.

    Args:
        fn_or_name: a function name from ``rnn_helpers.scratch`` ("rnn_step",
            "clip_by_norm", ...), a function with such a ``__name__`` (for example the
            student's own ``rnn_step``), or any function of ``rnn_helpers`` itself (e.g.
            ``rnn_helpers.lessons.n00_start_here.memory_step``).

    In Jupyter the code is shown highlighted (IPython.display.Code) under a short heading;
    elsewhere it is printed. Returns None, so nothing extra is echoed in a notebook.
    """
    if callable(fn_or_name) and getattr(fn_or_name, "__module__", "").startswith("rnn_helpers"):
        func, name = fn_or_name, fn_or_name.__name__  # any reference function of the library
    else:
        name = fn_or_name if isinstance(fn_or_name, str) else getattr(fn_or_name, "__name__", None)
        available = sorted(n for n in scratch.__all__ if inspect.isfunction(getattr(scratch, n)))
        if name not in available:
            raise ValueError(
                f"fn_or_name must name a function of rnn_helpers.scratch, got {fn_or_name!r}; "
                f"choose one of {', '.join(available)}"
            )
        func = getattr(scratch, name)
    source = inspect.getsource(func)
    module = func.__module__.replace(".", "/") + ".py"
    heading = f"Reference solution: `{name}` (from `{module}`)"
    shell = None
    if "IPython" in sys.modules:  # only ask IPython if it is already running us
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        print(heading.replace("`", ""))
        print(source)
        return
    from IPython.display import Code, Markdown, display

    display(Markdown(heading))
    display(Code(source, language="python"))
