"""Label Studio: the labeling config, import tasks with the model's predictions, and reading an export."""

import xml.etree.ElementTree as ET

from sikap.data.labels import Problem
from sikap.labeling import sentence_id
from sikap.text.targets import Target

TEXT_NAME = "text"
SENTIMENT_NAME = "sentiment"
SENTIMENT_HINTS = {
    "positive": "cooperation, agreement, aid, peace efforts, success, praise, improving relations",
    "negative": "war, attacks, casualties, threats, criticism, accusations, sanctions, escalation",
    "neutral": "procedural or factual: schedules, who met whom, background facts",
}
STANCE_HINTS = {
    "support": "backed, helped, praised or given closer ties; someone defends it or refuses to punish it; "
    "sympathy for it as a victim (rules 2, 4, 6)",
    "oppose": "criticised, accused, sanctioned, threatened or pressured; on the receiving end of an attack; "
    "portrayed as an aggressor, weak or failing (rules 1, 2)",
    "neutral": "referenced but no position: schedules, membership, plain reports of what it says or does, "
    "even-handed mediation (rules 1, 4, 5)",
    "none": "not referenced in this sentence",
}
INTRO = (
    "Label the sentence as in labels/GUIDELINES.md. Reported positions count; the receiving end of hostility "
    "is 'oppose', the actor of a plain report is 'neutral' (rules 1-2); the main clause wins (rule 3)."
)


def config_xml(targets: list[Target]) -> str:
    """A labeling config: the text, one Choices for sentiment and one per target, with short hints."""
    view = ET.Element("View")
    ET.SubElement(view, "Header", value=INTRO, size="6")
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}")

    def choices(name: str, header: str, hints: dict[str, str]) -> None:
        ET.SubElement(view, "Header", value=header, size="5")
        element = ET.SubElement(
            view, "Choices", name=name, toName=TEXT_NAME, choice="single-radio", showInline="true", required="true"
        )
        for value, hint in hints.items():
            ET.SubElement(element, "Choice", value=value, hint=hint)

    choices(SENTIMENT_NAME, "Sentiment: how does the reported event read overall?", SENTIMENT_HINTS)
    for target in targets:
        aliases = ", ".join(target.aliases)
        hints = {**STANCE_HINTS, "none": f"{STANCE_HINTS['none']}; it is referenced when an alias occurs: {aliases}"}
        choices(target.name, f"{target.name}: {target.description}", hints)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def _choice(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": TEXT_NAME, "type": "choices", "value": {"choices": [value]}}


def task(record: dict, model: str, score: float, target_names: list[str]) -> dict:
    """An import task for one selected record, pre-annotated with the model's labels."""
    result = [_choice(SENTIMENT_NAME, record["sentiment"])]
    result += [_choice(name, record["stance"][name]) for name in target_names]
    return {
        "data": {"id": record["id"], "text": record["text"], "article_id": record.get("article_id")},
        "predictions": [{"model_version": model, "score": round(score, 4), "result": result}],
    }


def _latest(annotations: object) -> dict | None:
    """The latest annotation that was not cancelled (by ``updated_at``/``created_at``, then position)."""
    kept = [
        (str(a.get("updated_at") or a.get("created_at") or ""), position, a)
        for position, a in enumerate(annotations if isinstance(annotations, list) else [])
        if isinstance(a, dict) and not a.get("was_cancelled")
    ]
    return max(kept, key=lambda t: t[:2])[2] if kept else None


def export_records(data: object, source: str) -> tuple[list[tuple[str, dict]], list[Problem], int]:
    """Records in the labels format from a Label Studio JSON export (a list of tasks).

    Returns ``(where, record)`` pairs, ``where`` naming the task (``file:task 3 (id 17)``),
    the problems found, and the number of tasks without a finished annotation (skipped).
    """
    if not isinstance(data, list):
        return [], [Problem(source, 1, "expected a Label Studio JSON export: a list of tasks")], 0
    records: list[tuple[str, dict]] = []
    problems: list[Problem] = []
    skipped = 0
    for number, item in enumerate(data, 1):
        task_id = item.get("id") if isinstance(item, dict) else None
        where = f"{source}:task {number}" + (f" (id {task_id})" if task_id is not None else "")
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            problems.append(Problem(where, 0, "expected a task object with 'data' and 'annotations'"))
            continue
        annotation = _latest(item.get("annotations"))
        if annotation is None:
            skipped += 1
            continue
        chosen: dict[str, object] = {}
        for result in annotation.get("result") or []:
            if not isinstance(result, dict) or result.get("type") != "choices":
                continue
            values = (result.get("value") or {}).get("choices") or []
            name = str(result.get("from_name"))
            if len(values) != 1:
                problems.append(Problem(where, 0, f"{name}: expected one choice, found {values}"))
            chosen[name] = values[0] if values else None
        fields = item["data"]
        text = fields.get("text")
        raw_id = fields.get("id")
        record = {
            "id": str(raw_id) if isinstance(raw_id, int) else raw_id or (sentence_id(text) if text else None),
            "text": text,
            "sentiment": chosen.pop(SENTIMENT_NAME, None),
            "stance": chosen,
        }
        records.append((where, record))
    return records, problems, skipped
