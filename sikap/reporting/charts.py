"""Report charts as PNG bytes (matplotlib, Agg backend): support and positive in blue, oppose and negative in red."""

import io
import math
from datetime import date

from sikap.reporting.aggregate import Aggregate, Tally
from sikap.schema import MENTIONED_STANCES, SENTIMENTS

COLORS = {
    "support": "#2166ac",
    "oppose": "#b2182b",
    "neutral": "#bababa",
    "positive": "#2166ac",
    "negative": "#b2182b",
}
MAX_OUTLETS = 20
SMOOTH_AFTER = 36  # months; longer spans get a pooled 5-month line over the faint monthly one


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _stacked(ax, rows: list[tuple[str, dict[str, float]]], classes: tuple[str, ...]) -> None:
    """100 % stacked horizontal bars, top row first, with shares of 7 % or more written inside."""
    labels = [label for label, _ in rows]
    y = range(len(rows))
    left = [0.0] * len(rows)
    for c in classes:
        widths = [shares.get(c) or 0.0 for _, shares in rows]
        ax.barh(y, widths, left=left, color=COLORS[c], label=c, height=0.7)
        for i, w in enumerate(widths):
            if w >= 0.07:
                ax.text(left[i] + w / 2, i, f"{w:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if c != "neutral" else "#222222")  # fmt: skip
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(ncols=len(classes), loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)


def stance_chart(agg: Aggregate) -> bytes:
    """Share of support / oppose / neutral among the sentences mentioning each target."""
    plt = _pyplot()
    rows = [
        (f"{t}\n(n={agg.stance[t].mentioned:,})", {c: agg.stance[t].share(c) for c in MENTIONED_STANCES})
        for t in agg.targets
    ]
    fig, ax = plt.subplots(figsize=(8, 0.75 * len(rows) + 1.0))
    _stacked(ax, rows, ("support", "neutral", "oppose"))
    return _png(fig)


def outlet_chart(agg: Aggregate, outlets: list[str]) -> bytes:
    """Heat map of net stance, outlets by targets, each cell with its value and the mentions behind it."""
    plt = _pyplot()
    tallies = [[agg.by_outlet.get((o, t), Tally()) for t in agg.targets] for o in outlets]
    finite = [abs(c.net) for row in tallies for c in row if c.net is not None]
    limit = max(0.25, max(finite, default=0.0))
    grid = [[math.nan if c.net is None else c.net for c in row] for row in tallies]
    fig, ax = plt.subplots(figsize=(1.5 * len(agg.targets) + 3.2, 0.5 * len(outlets) + 1.3))
    image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(agg.targets)), agg.targets)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(outlets)), outlets)
    for i, row in enumerate(tallies):
        for j, c in enumerate(row):
            v = c.net
            text = "–" if v is None else f"{v:+.2f}" if round(v, 2) else "0.00"
            color = "white" if v is not None and abs(v) > 0.55 * limit else "#222222"
            ax.text(j, i - 0.08, text, ha="center", va="center", fontsize=9, color=color)
            ax.text(j, i + 0.25, f"n={c.mentioned:,}", ha="center", va="center", fontsize=6.5, color=color, alpha=0.8)
    fig.colorbar(image, ax=ax, label="net stance", shrink=0.9, pad=0.03)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return _png(fig)


def _month_range(months: list[str]) -> list[str]:
    """Every month from the first to the last (gaps become breaks in the lines), unless implausibly many."""
    first, last = (tuple(map(int, m.split("-"))) for m in (months[0], months[-1]))
    span = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    if span > 600:
        return months
    return [f"{first[0] + (first[1] - 1 + i) // 12:04d}-{(first[1] - 1 + i) % 12 + 1:02d}" for i in range(span)]


def _pooled(tallies: list[Tally], width: int) -> list[float]:
    """Net stance over a centred window of ``width`` months, pooling the counts (not averaging the ratios)."""
    half = width // 2
    out = []
    for i in range(len(tallies)):
        window = tallies[max(0, i - half) : i + half + 1]
        mentioned = sum(t.mentioned for t in window)
        out.append(sum(t.support - t.oppose for t in window) / mentioned if mentioned else math.nan)
    return out


def time_chart(agg: Aggregate) -> bytes:
    """Net stance per month, one colour per target; over long spans, a bold pooled 5-month line on top."""
    plt = _pyplot()
    months = _month_range(agg.months)
    x = [date(int(m[:4]), int(m[5:7]), 1) for m in months]
    smooth = len(months) > SMOOTH_AFTER
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for i, t in enumerate(agg.targets):
        color = f"C{i % 10}"
        tallies = [agg.by_month.get((m, t), Tally()) for m in months]
        y = [math.nan if v.net is None else v.net for v in tallies]
        if smooth:
            ax.plot(x, y, color=color, linewidth=0.7, alpha=0.35)
            ax.plot(x, _pooled(tallies, 5), color=color, linewidth=2, label=t)
        else:
            ax.plot(x, y, color=color, marker="o", markersize=3, linewidth=1.5, label=t)
    values = [abs(v.net) for v in agg.by_month.values() if v.net is not None]
    limit = min(1.0, max(0.25, max(values, default=0.0))) * 1.08
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_ylabel("net stance")
    ax.set_ylim(-limit, limit)
    ax.grid(axis="y", alpha=0.3)
    title = "monthly (thin) and pooled over 5 months (bold)" if smooth else "monthly"
    ax.legend(ncols=len(agg.targets), loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=9,
              title=title, title_fontsize=8, alignment="left")  # fmt: skip
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _png(fig)


def sentiment_chart(agg: Aggregate, outlets: list[str]) -> bytes:
    """Sentiment shares of all sentences, then per outlet."""
    plt = _pyplot()

    def shares(counts) -> dict[str, float]:
        total = sum(counts.get(c, 0) for c in SENTIMENTS)
        return {c: counts.get(c, 0) / total if total else 0.0 for c in SENTIMENTS}

    rows = [(f"all sentences (n={agg.sentences:,})", shares(agg.sentiment))]
    rows += [(o, shares(agg.outlet_sentiment.get(o, {}))) for o in outlets]
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(rows) + 1.0))
    _stacked(ax, rows, ("positive", "neutral", "negative"))
    ax.get_yticklabels()[0].set_fontweight("bold")
    return _png(fig)
