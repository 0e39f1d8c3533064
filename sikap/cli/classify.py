"""`sikap classify` and `sikap serve`."""

import json
import os
import sys
from contextlib import nullcontext
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError

CHUNK = 256


@app.command()
def classify(
    input: Annotated[
        str, typer.Option("--input", "-i", help="JSON Lines {id, text} or plain text; '-' = stdin.")
    ] = "-",
    output: Annotated[str, typer.Option("--output", "-o", help="JSON Lines output file; '-' = stdout.")] = "-",
    model: Annotated[str | None, typer.Option(help="Model tag (default: what the service would serve).")] = None,
) -> None:
    """Classify sentences into the output contract, one JSON line per input sentence, in order."""
    from tqdm import tqdm

    from sikap.batch.sentences import read_sentences
    from sikap.io import atomic_open
    from sikap.models.loading import ensure_predictor

    try:
        predictor = ensure_predictor(model, console)
        rows = read_sentences(input)
        handle_ctx = atomic_open(Path(output)) if output != "-" else nullcontext(sys.stdout)
        with handle_ctx as handle, tqdm(unit=" sentences", disable=output == "-" or None, file=sys.stderr) as bar:
            while chunk := list(islice(rows, CHUNK)):
                ids, texts = zip(*chunk, strict=True)
                for record in predictor.predict(list(texts), list(ids)):
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                bar.update(len(chunk))
    except SikapError as exc:
        fail(str(exc))


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "0.0.0.0",
    model: Annotated[str | None, typer.Option(help="Model tag to serve (sets SIKAP_MODEL; no hot swap).")] = None,
    upgrade: Annotated[
        bool, typer.Option(help="Build the strong model in the background when the store has no ensemble.")
    ] = True,
) -> None:
    """Start the HTTP service (`bentoml serve` from the repository root); Ctrl-C or SIGTERM stops it and
    all its workers within 10 s. It serves the best stored model and swaps in newer ones while running;
    with no ensemble in the store it builds one in the background at low priority (--no-upgrade or
    SIKAP_UPGRADE=0 turn that off)."""
    from sikap.models.loading import ensure_loadable
    from sikap.paths import use_sikap_home
    from sikap.service.batching import gather_ms, poll_interval_ms
    from sikap.service.process import serve_until_signalled
    from sikap.service.telemetry import request_log_enabled
    from sikap.service.upgrade import read_status, start_background_build, upgrade_wanted

    try:  # the service's settings from the environment, checked before anything is built or started
        request_log_enabled(), gather_ms(), poll_interval_ms()
    except ValueError as exc:
        fail(str(exc))
    home = use_sikap_home()
    if model:
        os.environ["SIKAP_MODEL"] = model
    try:  # builds the default model up front, with progress, and checks that the model loads (in a child process)
        served = ensure_loadable(model)
    except SikapError as exc:
        fail(str(exc))
    console.log(f"serving {served.tag} on http://{host}:{port} (OpenAPI at /docs)")
    background = []
    last_build = read_status(home)
    if (why_not := upgrade_wanted(model, served.kind, upgrade, last_build)) is None:
        if last_build and last_build.get("state") in ("interrupted", "failed"):
            console.log(f"the last build of the strong model {last_build['state']}: {last_build.get('reason')}")
        console.log(
            "building the strong model in the background (about 20 min on 2 cores, at low priority); "
            "the service swaps it in when it is ready. Progress: `upgrade` in /metadata. --no-upgrade turns this off."
        )
        background.append(start_background_build(home))
    elif served.kind != "ensemble":
        console.log(f"no background build of the strong model: {why_not}")
    raise typer.Exit(serve_until_signalled(host, port, background))
