"""XLSX exports: one sheet formatted like the paper form, and a cycle's ranked summary."""
from __future__ import annotations

from io import BytesIO

from flask import send_file
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from ..core.text import spreadsheet_safe as safe
from . import labels

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="DDE6F5")


def _send(wb: Workbook, name: str):
    buf = BytesIO()
    wb.save(buf)
    buf.seek(0)
    return send_file(buf, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _num(value):
    return None if value is None else float(value)  # openpyxl writes numbers; Decimal stays exact in the app


def sheet_workbook(appraisal):
    wb = Workbook()
    ws = wb.active
    ws.title = _("Appraisal")[:31]
    cycle = appraisal.cycle
    ws.merge_cells("A1:H1")
    ws["A1"] = _("Performance appraisal") + f" · {appraisal.rep.display_name} · {cycle.period_key}"
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    head = [_("No."), _("Appraisal item"), _("Target"), _("Actual"), _("Score (0–5)"), _("Weight"), _("Weighted"),
            _("Remark")]
    ws.append([])
    ws.append(head)
    for cell in ws[3]:
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD, BOX
    for item in appraisal.items:
        weighted = None if item.score is None else item.score * item.weight / 100
        note = str(labels.NOTES[item.note]) if item.note in labels.NOTES else ""
        ws.append([item.position, safe(labels.item_name(item)), _num(item.target), _num(item.actual),
                   _num(item.score), _num(item.weight), _num(weighted),
                   safe("; ".join(x for x in (note, item.remark or "") if x))])
        for cell in ws[ws.max_row]:
            cell.border = BOX
    ws.append([None, _("Total"), None, None, _num(appraisal.total), 100, None, appraisal.grade or ""])
    for cell in ws[ws.max_row]:
        cell.font, cell.border = Font(bold=True), BOX
    ws.append([])
    ws.append([None, _("Overall comment"), safe(appraisal.comment or "")])
    ws.append([None, _("Self-assessment"), safe(appraisal.self_assessment or "")])
    ws.append([None, _("Status"), str(labels.STATES[appraisal.state])])
    widths = {"A": 6, "B": 34, "C": 14, "D": 14, "E": 12, "F": 10, "G": 10, "H": 40}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    return _send(wb, f"appraisal-{cycle.period_key}-{appraisal.rep.username}.xlsx")


def cycle_workbook(cycle, ranked, metrics):
    """``ranked`` and ``metrics`` as the summary page has them (queries.ranked, views._metrics)."""
    wb = Workbook()
    ws = wb.active
    ws.title = cycle.period_key
    ws.append([_("Rank"), _("Sales rep"), _("Total"), _("Rating"), _("Status")]
              + [safe(name) for _metric, name in metrics])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEAD
    for rank, a in enumerate(ranked, start=1):
        ws.append([rank, safe(a.rep_name), _num(a.total), a.grade or "", str(labels.STATES[a.state])]
                  + [_num(score) for _metric, _zh, _en, score in a.items])
    ws.column_dimensions["B"].width = 16
    return _send(wb, f"appraisal-cycle-{cycle.period_key}-{cycle.team_id}.xlsx")
