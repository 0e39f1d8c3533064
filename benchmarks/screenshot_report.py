"""Render a `sikap report` page with headless Chromium to a PNG, to check its layout by eye.

    python benchmarks/screenshot_report.py reports/corpus/report.html --output /tmp/report.png
    python benchmarks/screenshot_report.py /tmp/rep --sentences /tmp/out/scored.jsonl   # build the report first

Needs Chromium (Debian: `apt-get install -y chromium`); the test suite does not.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def browser() -> str:
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    sys.exit("no Chromium found; install it (Debian: apt-get install -y chromium)")


def screenshot(page: Path, output: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sikap-chromium-") as profile:
        command = [
            browser(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={output.resolve()}",
            page.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not output.exists():
        sys.exit(f"chromium failed ({result.returncode}):\n{result.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path, help="report.html, or the folder holding it")
    parser.add_argument("--output", type=Path, default=Path("/tmp/report.png"), help="PNG to write")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=4000, help="window height: the part of the page captured")
    parser.add_argument("--sentences", type=Path, help="build the report first from these scored sentence rows")
    parser.add_argument("--articles", type=Path, help="…and these article summaries (default: beside --sentences)")
    args = parser.parse_args()
    page = args.report / "report.html" if args.report.suffix != ".html" else args.report
    if args.sentences:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from sikap.batch.scorer import OutputPaths
        from sikap.reporting import build_report

        started = time.perf_counter()
        articles = args.articles or OutputPaths.for_output(args.sentences).summary
        build_report(args.sentences, articles, page.parent)
        print(f"built {page} in {time.perf_counter() - started:.1f} s")
    if not page.is_file():
        sys.exit(f"{page}: no such file; run `sikap report` first or pass --sentences")
    screenshot(page, args.output, args.width, args.height)
    print(f"wrote {args.output} ({args.width}x{args.height})")


if __name__ == "__main__":
    main()
