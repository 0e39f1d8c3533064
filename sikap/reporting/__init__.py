"""``sikap report``: an HTML and a Markdown report built from the files ``sikap score`` writes.

Both files are streamed once (:mod:`sikap.reporting.aggregate`), charts are drawn with
matplotlib (:mod:`sikap.reporting.charts`), and the same content is rendered as a
self-contained ``report.html`` and as ``report.md`` beside its PNGs (:mod:`sikap.reporting.render`).
"""

from dataclasses import dataclass
from pathlib import Path

from sikap.io import atomic_open, write_atomic
from sikap.reporting import charts
from sikap.reporting.aggregate import Aggregate, collect
from sikap.reporting.render import blocks, to_html, to_markdown

DEFAULT_TITLE = "Sikap report"


@dataclass
class Report:
    html: Path
    markdown: Path
    images: list[Path]
    data: Aggregate


def default_articles(sentences: Path) -> Path:
    """Where `sikap score` puts the summaries for these sentence rows: ``<stem>.articles.<ext>`` beside them."""
    from sikap.batch.scorer import OutputPaths

    return OutputPaths.for_output(Path(sentences), fmt="jsonl").summary  # fmt only stops it checking the suffix


def draw_charts(agg: Aggregate) -> dict[str, bytes]:
    """PNG bytes by file name; no time chart when no article has a date."""
    outlets = agg.outlets[: charts.MAX_OUTLETS]
    images = {
        "stance.png": charts.stance_chart(agg),
        "outlets.png": charts.outlet_chart(agg, outlets),
        "sentiment.png": charts.sentiment_chart(agg, outlets),
    }
    if agg.months:
        images["time.png"] = charts.time_chart(agg)
    return images


def build_report(
    sentences: Path, articles: Path, output: Path, title: str = DEFAULT_TITLE, examples: int = 5
) -> Report:
    """Write ``report.html``, ``report.md`` and the chart PNGs into ``output`` (each file atomically)."""
    agg = collect(Path(sentences), Path(articles), examples)
    content = blocks(agg, (Path(sentences).name, Path(articles).name), examples, charts.MAX_OUTLETS)
    images = draw_charts(agg)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        with atomic_open(output / name, "wb") as handle:
            handle.write(data)
    stale = output / "time.png"
    if "time.png" not in images and stale.exists():
        stale.unlink()  # from an earlier report with dates: report.md must not show it
    write_atomic(output / "report.md", to_markdown(title, content))
    write_atomic(output / "report.html", to_html(title, content, images))
    return Report(output / "report.html", output / "report.md", [output / n for n in images], agg)


__all__ = ["DEFAULT_TITLE", "Report", "build_report", "default_articles"]
