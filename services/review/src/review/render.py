"""Documents made from the service's data: minutes (Markdown, HTML), the matrix (SVG), CSV.

Everything that comes from people is escaped for the format it goes into.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape
from typing import Any

from review.domain.scoring import MAX_SCORE, MIDPOINT, MIN_SCORE, QUADRANTS

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~-])")


def _md(text: Any) -> str:
    """Plain text made inert in Markdown (no markup, no raw HTML), on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _french_date(value: str | date) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


def _means(item: dict[str, Any]) -> str:
    means = item["axis_means"]

    def shown(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}".replace(".", ",")

    return (
        f"impact {shown(means['impact'])}, faisabilité {shown(means['feasibility'])} "
        f"({item['scored']['label']} membres ont noté)"
    )


def minutes_markdown(minutes: dict[str, Any], *, generated_on: date) -> str:
    """The record of decisions as a Markdown document."""
    lines = [
        f"# Relevé de décisions — {_md(minutes['title'])}",
        "",
        f"Séance du comité du {_french_date(minutes['date'])}.",
        "",
        "## Membres présents",
        "",
    ]
    members = minutes["members_present"]
    lines += [f"- {_md(m['name'])}" for m in members] or ["- Non renseignés"]
    lines += ["", "## Décisions", ""]
    if not minutes["decisions"]:
        lines.append("Aucune décision n'a encore été rendue.")
    for item in minutes["decisions"]:
        lines += [
            f"### {_md(item['title'])}",
            "",
            f"- Porteur : {_md(item['author'].get('name') or item['author']['sub'])}",
            f"- Décision : **{_md(item['decision_label'])}**",
            f"- Motif : {_md(item['reason'] or '')}",
        ]
        if item["directorates"]:
            lines.append(f"- Directions concernées : {_md(', '.join(item['directorates']))}")
        lines += [f"- Notes : {_md(_means(item))}", ""]
    if minutes["pending"]:
        lines += ["## Idées inscrites sans décision", ""]
        lines += [f"- {_md(i['title'])} ({_md(i['status_label'])})" for i in minutes["pending"]]
        lines.append("")
    lines += ["", f"_Document établi le {_french_date(generated_on)}._", ""]
    return "\n".join(lines)


def minutes_html(minutes: dict[str, Any], *, generated_on: date) -> str:
    """The record of decisions as a standalone HTML page."""
    title = f"Relevé de décisions — {minutes['title']}"
    parts = [
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">',
        f"<title>{escape(title)}</title>\n</head>\n<body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Séance du comité du {escape(_french_date(minutes['date']))}.</p>",
        "<h2>Membres présents</h2>\n<ul>",
    ]
    members = minutes["members_present"]
    parts += [f"<li>{escape(m['name'])}</li>" for m in members] or ["<li>Non renseignés</li>"]
    parts += ["</ul>", "<h2>Décisions</h2>"]
    if not minutes["decisions"]:
        parts.append("<p>Aucune décision n'a encore été rendue.</p>")
    for item in minutes["decisions"]:
        author = item["author"].get("name") or item["author"]["sub"]
        parts += [
            f"<h3>{escape(item['title'])}</h3>\n<ul>",
            f"<li>Porteur : {escape(author)}</li>",
            f"<li>Décision : <strong>{escape(item['decision_label'])}</strong></li>",
            f"<li>Motif : {escape(item['reason'] or '')}</li>",
        ]
        if item["directorates"]:
            parts.append(
                f"<li>Directions concernées : {escape(', '.join(item['directorates']))}</li>"
            )
        parts += [f"<li>Notes : {escape(_means(item))}</li>", "</ul>"]
    if minutes["pending"]:
        parts.append("<h2>Idées inscrites sans décision</h2>\n<ul>")
        parts += [
            f"<li>{escape(i['title'])} ({escape(i['status_label'])})</li>"
            for i in minutes["pending"]
        ]
        parts.append("</ul>")
    parts += [
        f"<p><em>Document établi le {escape(_french_date(generated_on))}.</em></p>",
        "</body>\n</html>\n",
    ]
    return "\n".join(parts)


# --- the matrix -------------------------------------------------------------------------

WIDTH, HEIGHT, MARGIN = 800, 600, 70
_QUADRANT_POSITIONS = {
    # key: (x of the label, y of the label, text-anchor)
    "strategic_bets": (MARGIN + 10, MARGIN + 20, "start"),
    "quick_wins": (WIDTH - MARGIN - 10, MARGIN + 20, "end"),
    "reconsider": (MARGIN + 10, HEIGHT - MARGIN - 10, "start"),
    "easy_gains": (WIDTH - MARGIN - 10, HEIGHT - MARGIN - 10, "end"),
}


def _x(feasibility: float) -> float:
    return MARGIN + (feasibility - MIN_SCORE) / (MAX_SCORE - MIN_SCORE) * (WIDTH - 2 * MARGIN)


def _y(impact: float) -> float:
    return HEIGHT - MARGIN - (impact - MIN_SCORE) / (MAX_SCORE - MIN_SCORE) * (HEIGHT - 2 * MARGIN)


def matrix_svg(points: Sequence[dict[str, Any]]) -> str:
    """The impact × feasibility matrix: one labelled circle per scored idea."""
    a = escape  # attribute and text escaping are the same with quote=True
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="sans-serif" font-size="12">',
        "<title>Matrice impact × faisabilité des idées notées</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{WIDTH - 2 * MARGIN}" '
        f'height="{HEIGHT - 2 * MARGIN}" fill="none" stroke="#333333"/>',
        f'<line x1="{_x(MIDPOINT)}" y1="{MARGIN}" x2="{_x(MIDPOINT)}" y2="{HEIGHT - MARGIN}" '
        'stroke="#999999" stroke-dasharray="4 4"/>',
        f'<line x1="{MARGIN}" y1="{_y(MIDPOINT)}" x2="{WIDTH - MARGIN}" y2="{_y(MIDPOINT)}" '
        'stroke="#999999" stroke-dasharray="4 4"/>',
    ]
    for key, (x, y, anchor) in _QUADRANT_POSITIONS.items():
        quadrant = QUADRANTS[key]
        out.append(
            f'<text class="quadrant" data-quadrant="{key}" x="{x}" y="{y}" '
            f'text-anchor="{anchor}" font-weight="bold" fill="#555555">'
            f"{a(quadrant.label)} — {a(quadrant.advice)}</text>"
        )
    out += [
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 20}" text-anchor="middle">Faisabilité →</text>',
        f'<text x="20" y="{HEIGHT / 2}" text-anchor="middle" '
        f'transform="rotate(-90 20 {HEIGHT / 2})">Impact stratégique →</text>',
    ]
    for score in range(MIN_SCORE, MAX_SCORE + 1):
        out.append(
            f'<text x="{_x(score)}" y="{HEIGHT - MARGIN + 16}" text-anchor="middle">{score}</text>'
        )
        out.append(f'<text x="{MARGIN - 10}" y="{_y(score) + 4}" text-anchor="end">{score}</text>')
    for point in points:
        cx, cy = _x(point["feasibility"]), _y(point["impact"])
        out.append(
            f'<g class="idea" data-idea-id="{a(str(point["idea_id"]))}">'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="7" fill="#1f6feb" fill-opacity="0.8">'
            f"<title>{a(point['title'])} (impact {point['impact']}, "
            f"faisabilité {point['feasibility']})</title></circle>"
            f'<text x="{cx + 10:.1f}" y="{cy + 4:.1f}">{a(_short(point["title"]))}</text></g>'
        )
    out.append("</svg>\n")
    return "\n".join(out)


def _short(title: str, limit: int = 40) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


# --- CSV ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_document(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV file for French spreadsheets: UTF-8 with BOM, semicolons, decimal commas."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()
