"""Figure helpers shared by every picture: a new Axes when none is given, literal text,
compact axis numbers."""


__all__ = ["axes_or_new", "compact_number", "literal_text", "thousands_axis"]


def axes_or_new(ax, figsize=(6.4, 4.2)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def thousands_axis(axis):
    from matplotlib.ticker import FuncFormatter
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))


def literal_text(text):
    """Text shown as written (a '$' in a service name is not a math formula)."""
    return str(text).replace("$", r"\$")


def compact_number(value):
    """1,280,000 -> '1.28M' (for cell labels)."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"
