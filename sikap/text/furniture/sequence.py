"""Second-stage features: what the first stage thinks of a line's neighbours (stacked sequence labeling).

Furniture comes in runs (a header, a page end with promo, tags and related links in a row, a caption
and its credit), so the second stage sees the first stage's content probability and most likely
kind for the line and two lines on each side, the length of the run of furniture-looking lines
around it, and its distance to the nearest surely-content line above and below.
"""

from sikap.text.furniture.features import is_paragraph

# First-stage features the second stage sees again (the line's own shape and place).
KEEP_PREFIXES = (
    "before_body",
    "in_body",
    "after_body",
    "paragraph",
    "predicate",
    "long_open",
    "title",
    "after_title",
    "title_to_body",
    "past_body",
    "last_paragraph",
    "paragraphs_after",
    "credit",
    "next:credit",
    "prev:credit",
    "price",
    "words",
    "ends_",
    "question",
    "label_prefix",
    "first_line",
    "last_line",
)
SURE = 0.9  # a paragraph the first stage gives at least this content probability anchors the body
_P_EDGES = (0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99)


def _p_bucket(p: float) -> str:
    for edge in _P_EDGES:
        if p <= edge:
            return f"<={edge:g}"
    return ">0.99"


def _n_bucket(value: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if value <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"


def stage2_features(
    lines: list[str],
    first: list[dict[str, float]],
    content: list[float],
    kinds: list[str],
    fixed: list[str | None],
    first_copies: list[bool],
) -> list[dict[str, float]]:
    """Features of each line from first-stage ``content`` probabilities and most likely furniture ``kinds``.

    ``fixed``: the kind the duplicate rule or a fixed pattern gives a line (sure furniture), else ``None``;
    ``first_copies``: whether a line is the first of several copies in the page (most often the headline).
    """
    n = len(lines)
    content = [0.0 if kind else p for p, kind in zip(content, fixed, strict=True)]
    kinds = [kind or guess for guess, kind in zip(kinds, fixed, strict=True)]
    furn = [p < 0.5 for p in content]
    sure = [content[i] >= SURE and is_paragraph(lines[i]) for i in range(n)]
    run_up, run_down = [0] * n, [0] * n
    for i in range(1, n):
        run_up[i] = run_up[i - 1] + 1 if furn[i - 1] else 0
    for i in range(n - 2, -1, -1):
        run_down[i] = run_down[i + 1] + 1 if furn[i + 1] else 0
    sure_above, sure_below = [-1] * n, [-1] * n
    last = -1
    for i in range(n):
        sure_above[i] = last
        last = i if sure[i] else last
    last = -1
    for i in range(n - 1, -1, -1):
        sure_below[i] = last
        last = i if sure[i] else last
    out = []
    for i in range(n):
        f = {k: v for k, v in first[i].items() if k.startswith(KEEP_PREFIXES)}
        f["bias"] = 1
        own = _p_bucket(content[i])
        f[f"p{own}"] = 1
        f[f"kind={kinds[i]}"] = 1
        if first_copies[i]:
            f["first_copy"] = 1
        region = "before" if sure_above[i] < 0 else "after" if sure_below[i] < 0 else "between"
        f[f"sure_{region}"] = 1
        f[f"p{own}&{region}"] = 1
        if region != "before":
            f[f"from_sure_above{_n_bucket(i - sure_above[i], (1, 2, 3, 5))}"] = 1
        if region != "after":
            f[f"to_sure_below{_n_bucket(sure_below[i] - i, (1, 2, 3, 5))}"] = 1
        f[f"run_up{_n_bucket(run_up[i], (0, 1, 2, 4))}"] = 1
        f[f"run_down{_n_bucket(run_down[i], (0, 1, 2, 4))}"] = 1
        f[f"runs{min(run_up[i], 3)}/{min(run_down[i], 3)}&{region}"] = 1
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < n:
                f[f"n{off}:p{_p_bucket(content[j])}"] = 1
                f[f"n{off}:kind={kinds[j]}"] = 1
                if abs(off) == 1:
                    f[f"n{off}:p{_p_bucket(content[j])}&p{own}"] = 1
            else:
                f[f"n{off}:none"] = 1
        out.append(f)
    return out
