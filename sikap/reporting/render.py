"""The report's content as a list of blocks, rendered once as self-contained HTML and once as Markdown."""

import base64
import html
import re
from dataclasses import dataclass, field

from sikap.reporting.aggregate import Aggregate, Example, Tally
from sikap.schema import MENTIONED_STANCES, SENTIMENTS

MAX_OUTLET_ROWS = 50


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    text: str
    style: str = ""  # "note" (small print) or "warn"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    left: int = 1  # columns aligned left; the rest are numbers
    fold: str | None = None  # HTML: folded under this summary line
    head: bool = True  # HTML: show the header row (Markdown tables always have one)


@dataclass
class Image:
    name: str
    alt: str


@dataclass
class Examples:
    target: str
    by_label: dict[str, list[Example]] = field(default_factory=dict)


Block = Heading | Para | Table | Image | Examples


def count(n: int) -> str:
    return f"{n:,}"


def share(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def net(x: float | None) -> str:
    return "–" if x is None else f"{x:+.3f}"


def net_cell(tally: Tally | None) -> str:
    return "–" if tally is None or not tally.mentioned else f"{net(tally.net)} ({tally.mentioned:,})"


def _totals(agg: Aggregate, sources: tuple[str, str]) -> list[Block]:
    reasons = ", ".join(f"{r} {n:,}" for r, n in agg.skip_reasons.most_common())
    months = agg.months
    rows = [
        ["articles", count(agg.articles)],
        ["sentences (classified)", count(agg.sentences)],
        ["skipped segments", count(agg.skipped) + (f" ({reasons})" if reasons else "")],
        ["outlets", count(len(agg.outlet_articles))],
        ["articles with a date", count(agg.dated) + (f" ({months[0]} to {months[-1]})" if months else "")],
        ["model", ", ".join(sorted(agg.models)) or "–"],
    ]
    blocks: list[Block] = [
        Para(f"Sentence rows: {sources[0]}. Article summaries: {sources[1]}.", style="note"),
        Heading("Totals"),
        Table(["total", ""], rows, left=2, head=False),
    ]
    if agg.skipped:
        segments = agg.sentences + agg.skipped
        blocks += [
            Heading("Set aside"),
            Para(
                f"{agg.skipped:,} of {segments:,} segments were set aside as page furniture and not classified:",
                style="note",
            ),
            Table(
                ["reason", "segments", "share of segments"],
                [[r, count(n), share(n / segments)] for r, n in agg.skip_reasons.most_common()],
                left=1,
            ),
        ]
    if (agg.summary_sentences, agg.summary_skipped) != (agg.sentences, agg.skipped):
        blocks.append(
            Para(
                f"Warning: the article summaries count {agg.summary_sentences:,} sentences and "
                f"{agg.summary_skipped:,} skipped segments, the sentence rows {agg.sentences:,} and "
                f"{agg.skipped:,}; the two files may come from different runs.",
                style="warn",
            )
        )
    return blocks


def _stance(agg: Aggregate) -> list[Block]:
    rows = []
    for t in agg.targets:
        tally = agg.stance[t]
        cells = [f"{getattr(tally, c):,} ({share(tally.share(c))})" for c in MENTIONED_STANCES]
        rows.append([t, count(tally.mentioned), *cells, net(tally.net)])
    return [
        Heading("Stance per target"),
        Para(
            "Among the sentences that mention each target. Net stance is (support − oppose) / mentioned, "
            "from −1 (all oppose) to +1 (all support)."
        ),
        Table(["target", "mentioned", *MENTIONED_STANCES, "net stance"], rows),
        Image("stance.png", "Share of support, neutral and oppose per target"),
    ]


def _outlets(agg: Aggregate, charted: int) -> list[Block]:
    outlets = agg.outlets
    rows = [
        [o, count(agg.outlet_articles[o]), *(net_cell(agg.by_outlet.get((o, t))) for t in agg.targets)]
        for o in outlets[:MAX_OUTLET_ROWS]
    ]
    blocks: list[Block] = [
        Heading("Net stance per outlet"),
        Para(
            "Per outlet and target: sum(support − oppose) / sum(mentioned) over its articles, from −1 (oppose, red) "
            "to +1 (support, blue); in brackets and as n, the sentences mentioning the target."
        ),
        Table(["outlet", "articles", *agg.targets], rows),
    ]
    if len(outlets) > MAX_OUTLET_ROWS:
        blocks.append(Para(f"{len(outlets) - MAX_OUTLET_ROWS:,} smaller outlets not listed.", style="note"))
    if len(outlets) > charted:
        blocks.append(Para(f"The chart shows the {charted} outlets with the most articles.", style="note"))
    blocks.append(Image("outlets.png", "Net stance per outlet and target"))
    return blocks


def _time(agg: Aggregate) -> list[Block]:
    blocks: list[Block] = [Heading("Net stance over time")]
    if not agg.months:
        return [*blocks, Para("No article has a date (YYYY-MM-DD), so there is no chart over time.")]
    blocks.append(Para("Net stance per calendar month of the article dates; months with few mentions are noisy."))
    if agg.dated < agg.articles:
        blocks.append(
            Para(f"{agg.articles - agg.dated:,} article(s) without a usable date are left out.", style="note")
        )
    rows = [
        [m, count(agg.month_articles[m]), *(net_cell(agg.by_month.get((m, t))) for t in agg.targets)]
        for m in agg.months
    ]
    blocks += [
        Image("time.png", "Net stance per month and target"),
        Table(["month", "articles", *agg.targets], rows, fold=f"Table: {len(rows)} months"),
    ]
    return blocks


def _sentiment(agg: Aggregate, outlets: list[str]) -> list[Block]:
    total = sum(agg.sentiment[c] for c in SENTIMENTS)
    rows = [[c, count(agg.sentiment[c]), share(agg.sentiment[c] / total if total else None)] for c in SENTIMENTS]
    per_outlet = []
    for o in outlets[:MAX_OUTLET_ROWS]:
        counts = agg.outlet_sentiment.get(o, {})
        n = sum(counts.get(c, 0) for c in SENTIMENTS)
        per_outlet.append([o, count(n), *(share(counts.get(c, 0) / n if n else None) for c in SENTIMENTS)])
    return [
        Heading("Sentiment"),
        Table(["sentiment", "sentences", "share"], rows),
        Image("sentiment.png", "Sentiment shares, all sentences and per outlet"),
        Table(["outlet", "sentences", *SENTIMENTS], per_outlet, fold="Table: sentiment per outlet"),
    ]


def _examples(agg: Aggregate, k: int) -> list[Block]:
    if k <= 0:
        return []
    blocks: list[Block] = [
        Heading("Example sentences"),
        Para(f"Per target and class, up to {k} of the most confident sentences (distinct texts)."),
    ]
    for t in agg.targets:
        blocks.append(Examples(t, {c: agg.examples[(t, c)].best() for c in MENTIONED_STANCES}))
    return blocks


def blocks(agg: Aggregate, sources: tuple[str, str], examples: int, charted: int) -> list[Block]:
    """The whole report, in order; images refer to the chart files by name."""
    return [
        *_totals(agg, sources),
        *_stance(agg),
        *_outlets(agg, charted),
        *_time(agg),
        *_sentiment(agg, agg.outlets[:charted]),
        *_examples(agg, examples),
    ]


# --- Markdown ---------------------------------------------------------------------------------


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _md(text: str) -> str:
    """One line of Markdown text: no raw HTML (``<`` and ``>`` as entities), inline markup characters escaped."""
    text = " ".join(str(text).split()).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(title: str, content: list[Block]) -> str:
    lines = [f"# {_md(title)}"]
    for block in content:
        lines.append("")
        if isinstance(block, Heading):
            lines.append(f"{'#' * block.level} {_md(block.text)}")
        elif isinstance(block, Para):
            lines.append(
                {"note": f"_{_md(block.text)}_", "warn": f"**{_md(block.text)}**"}.get(block.style, _md(block.text))
            )
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_md(h) for h in block.headers) + " |")
            lines.append("|" + "|".join("---" if i < block.left else "---:" for i in range(len(block.headers))) + "|")
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
        elif isinstance(block, Image):
            lines.append(f"![{_md(block.alt)}]({block.name})")
        elif isinstance(block, Examples):
            lines.append(f"### {_md(block.target)}")
            for label, items in block.by_label.items():
                lines += ["", f"**{label}**", ""]
                lines += [f"1. {_md(e.text)} — {e.score:.3f} · {_md(_where(e))}" for e in items] or ["_none_"]
    return "\n".join(lines) + "\n"


def _where(e: Example) -> str:
    return e.article_id if e.index is None else f"{e.article_id} #{e.index}"


# --- HTML -------------------------------------------------------------------------------------

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f6f7f9;color:#1d232a;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:28px 32px 48px;background:#fff;min-height:100vh}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:21px;margin:36px 0 10px;padding-top:16px;border-top:1px solid #e3e6ea}
h3{font-size:17px;margin:22px 0 8px}
p{margin:8px 0}
.note{color:#5c6670;font-size:13px}
.warn{background:#fff4e5;border-left:4px solid #e8a33d;padding:8px 12px}
table{border-collapse:collapse;margin:10px 0 14px;font-size:14px}
th,td{padding:5px 12px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
td:first-child{white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}
details{margin:6px 0 14px}
summary{cursor:pointer;color:#2166ac}
img{display:block;max-width:100%;height:auto;margin:10px 0 6px}
.grid{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:14px}
.col{border:1px solid #e3e6ea;border-radius:6px;padding:10px 12px}
.col h4{margin:0 0 6px;font-size:14px;text-transform:uppercase;letter-spacing:.04em}
.support h4{color:#2166ac}.oppose h4{color:#b2182b}.neutral h4{color:#5c6670}
.col ol{margin:0;padding-left:20px;font-size:14px}
.col li{margin:0 0 8px}
.meta{display:block;color:#5c6670;font-size:12px}
@media (max-width:800px){.grid{grid-template-columns:1fr}main{padding:16px}}
"""


def _esc(text: object) -> str:
    return html.escape(str(text))


def _table_html(table: Table) -> str:
    def cls(i: int) -> str:
        return "" if i < table.left else ' class="n"'

    head = "".join(f"<th{cls(i)}>{_esc(h)}</th>" for i, h in enumerate(table.headers))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{_esc(c)}</td>" for i, c in enumerate(row)) + "</tr>" for row in table.rows
    )
    head = f"<thead><tr>{head}</tr></thead>" if table.head else ""
    out = f"<table>{head}<tbody>{body}</tbody></table>"
    return f"<details><summary>{_esc(table.fold)}</summary>{out}</details>" if table.fold else out


def _examples_html(block: Examples) -> str:
    cols = []
    for label, items in block.by_label.items():
        entries = "".join(
            f'<li>{_esc(e.text)}<span class="meta">{e.score:.3f} · {_esc(_where(e))}</span></li>' for e in items
        )
        body = f"<ol>{entries}</ol>" if items else '<p class="note">none</p>'
        cols.append(f'<div class="col {_esc(label)}"><h4>{_esc(label)}</h4>{body}</div>')
    return f'<h3>{_esc(block.target)}</h3><div class="grid">{"".join(cols)}</div>'


def to_html(title: str, content: list[Block], images: dict[str, bytes]) -> str:
    """One self-contained page: inline CSS, charts as base64 PNG, every text escaped."""
    parts = [f"<h1>{_esc(title)}</h1>"]
    for block in content:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{_esc(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            css = f' class="{block.style}"' if block.style else ""
            parts.append(f"<p{css}>{_esc(block.text)}</p>")
        elif isinstance(block, Table):
            parts.append(_table_html(block))
        elif isinstance(block, Image) and block.name in images:
            data = base64.b64encode(images[block.name]).decode("ascii")
            parts.append(f'<img alt="{_esc(block.alt)}" src="data:image/png;base64,{data}">')
        elif isinstance(block, Examples):
            parts.append(_examples_html(block))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head>\n<body><main>\n"
        + "\n".join(parts)
        + "\n</main></body></html>\n"
    )
