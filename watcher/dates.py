"""How dates are written in the languages policies are most often published in.

Month names (and the English abbreviations) for English, French, German,
Spanish, Italian, Portuguese and Dutch, dates written the Chinese and Japanese way
("2025年12月19日") and the Korean way ("2024년 4월 1일", "2024. 4. 1."), and
"last updated"-style date lines in all of them,
shared by the noise rules (the date of the day, :mod:`watcher.volatile`), the
outline (a date line is not a section title, :mod:`watcher.sections`) and the
stated-date detection of reports (:mod:`watcher.diffing.classify`). Pure data
and pure functions.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import NamedTuple

_TABLE = """
en January February March April May June July August September October November December
fr janvier février mars avril mai juin juillet août septembre octobre novembre décembre
de Januar Februar März April Mai Juni Juli August September Oktober November Dezember
es enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
it gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre
pt janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro
nl januari februari maart april mei juni juli augustus september oktober november december
"""
#: The twelve month names by language code.
MONTHS: dict[str, tuple[str, ...]] = {
    row.split()[0]: tuple(row.split()[1:]) for row in _TABLE.strip().splitlines()
}
_ENGLISH_SHORT = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                  "dec")  # fmt: skip

#: Every month name, case-folded, with its number (no name means two months).
MONTH_NUMBERS: dict[str, int] = {
    **{name: n for n, name in enumerate(_ENGLISH_SHORT, 1)},
    "sept": 9,
    **{name.casefold(): n for names in MONTHS.values() for n, name in enumerate(names, 1)},
}

#: A regular expression alternative matching any month name (use with ``re.I``); the
#: longest names first, so that "juni" is not read as "jun".
MONTH_PATTERN = "(?:" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + ")"

_ORD = r"(?:st|nd|rd|th|er)?"
#: A regular expression matching a written date (use with ``re.I``).
DATE_PATTERN = (
    # "12 March 2024", "March 12, 2024", "April 2025", "3rd May 2023", "1er avril 2025",
    # "14. März 2026", "14 de marzo de 2026" (the month's names once: they are many)
    rf"(?:(?:\d{{1,2}}{_ORD}\.?\s+(?:of\s+|de\s+)?)?{MONTH_PATTERN}\.?(?:\s+\d{{1,2}}{_ORD})?,?"
    r"(?:\s+de)?\s+\d{4}"
    r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}年\d{1,2}月\d{1,2}日"
    # Korean: "2024년 4월 1일", "2024. 4. 1", and "2024.04.01" as East Asian pages write
    # it (not "2024.1.3", a version)
    r"|\d{4}년\s?\d{1,2}월\s?\d{1,2}일|\d{4}\.\s\d{1,2}\.\s\d{1,2}(?!\d)|\d{4}\.\d\d\.\d\d(?!\d))"
)
_HAN_LABEL = "(?:更新|修订|修訂|修改|生效|发布|發布|施行|改定|制定)"
_KOREAN_LABEL = "(?:시행|공고|개정|수정|변경|업데이트|적용|발효)"
_LABEL = (
    r"\b(?:(?:last\s+)?(?:updated?|modified|revised|revision|amended|reviewed|changed)"
    r"|effective|version|dated?|published|as\s+of|in\s+force"
    # French, German, Spanish, Italian, Portuguese and Dutch policies say it so.
    r"|mis(?:e)?\s+à\s+jour|à\s+jour\s+(?:du|au)|en\s+vigueur|date\s+d['’]effet"
    r"|stand|aktualisiert|zuletzt\s+geändert|gültig\s+ab|in\s+kraft"
    r"|actualizad[oa]|última\s+actualización|vigente|en\s+vigor"
    r"|aggiornat[oa]|ultimo\s+aggiornamento|in\s+vigore"
    r"|atualizad[oa]|última\s+atualização|em\s+vigor"
    r"|bijgewerkt|laatst\s+gewijzigd|van\s+kracht)\b"
    # Korean ("시행일자:", "최종 수정일", "공고일"): spaced words, so \b again.
    r"|\b(?:최종\s?)?" + _KOREAN_LABEL + r"(?:일자|일)?\b"
    # Chinese and Japanese ("更新日期：", "生效日期", "最終更新日"): no spaces, so no \b.
    r"|(?:最后|最後|最近|最終)?" + _HAN_LABEL + r"(?:日期|时间|時間|日)?"
)
# What a Chinese, Japanese or Korean line may say after its date instead: "2024年4月1日
# 改定", "2025年3月1日起生效", "2024년 4월 1일부터 시행" (from that day on, in force).
_AFTER_DATE = (
    r"\s?(?:に|より|から|起|开始|開始|부터)?\s?(?:" + _HAN_LABEL + "|" + _KOREAN_LABEL + ")"
)


class _Patterns(NamedTuple):
    label: re.Pattern[str]  # a "last updated"-style label
    opening_label: re.Pattern[str]  # one that opens a line, or follows one word
    after_label: re.Pattern[str]  # what follows a label up to its date
    date_first: re.Pattern[str]  # a date with its label after it (Chinese, Japanese, Korean)
    opening_date: re.Pattern[str]  # the same opening a line


@cache
def _patterns() -> _Patterns:
    """The patterns that read a date line ("Dernière mise à jour", "Date of last
    update", "2024年4月1日改定"). Compiled on first use: together they take milliseconds
    (every month's name, case-folded), which a process that reads no page (``status``,
    ``list``) need not pay at start-up."""
    date_first = rf"(?P<date>{DATE_PATTERN}){_AFTER_DATE}"
    return _Patterns(
        re.compile(_LABEL, re.I),
        re.compile(r"(?:\w+\s+(?:of\s+)?)?" + _LABEL, re.I),
        re.compile(rf"[^.!?\n]{{0,40}}?(?P<date>{DATE_PATTERN})(?![\w/.-]\d)", re.I),
        re.compile(date_first, re.I),
        re.compile(r"[\s(（【\[]*" + date_first, re.I),
    )


def labelled_date(text: str) -> str | None:
    """The date after a "last updated"-style label in ``text``, as written
    ("Last updated: 12 March 2024" gives "12 March 2024"), or before one in Chinese,
    Japanese and Korean ("本规则自2025年3月1日起生效" gives "2025年3月1日")."""
    patterns = _patterns()
    for label in patterns.label.finditer(text):
        match = patterns.after_label.match(text, label.end())
        if match:
            return match.group("date").strip()
    # (Such a label is never ASCII: most lines are spared the search.)
    match = None if text.isascii() else patterns.date_first.search(text)
    return match.group("date") if match else None


def date_line(text: str) -> str | None:
    """The date of a line that opens with a "last updated"-style label, as written:
    "Last updated: 12 March 2024", "Dernière mise à jour : 1er avril 2025", or with a
    date and its label ("2024年4月1日改定", "2024년 4월 1일 시행"); not "Privacy
    Policy (last updated 12 March 2024)"."""
    patterns = _patterns()
    label = patterns.opening_label.match(text)
    match = patterns.after_label.match(text, label.end()) if label else None
    if match:
        return match.group("date").strip()
    match = None if text.isascii() else patterns.opening_date.match(text)
    return match.group("date") if match else None


def day_forms(day: date) -> list[str]:
    """The ways pages commonly write ``day``, case-folded: ISO and numeric forms, with
    the month's name in each language, and the Chinese, Japanese and Korean ways."""
    d, m, y = day.day, day.month, day.year
    forms = [
        day.isoformat(),
        f"{d:02d}/{m:02d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{d}/{m}/{y}", f"{m}/{d}/{y}",
        f"{d:02d}.{m:02d}.{y}", f"{d}.{m}.{y}",
    ]  # fmt: skip
    english = MONTHS["en"][m - 1]
    forms += [f"{d} {english} {y}", f"{english} {d}, {y}", f"{english} {d} {y}"]
    forms += [f"{d} {MONTHS[lang][m - 1]} {y}" for lang in ("fr", "it", "nl")]
    forms += [f"{d}. {MONTHS['de'][m - 1]} {y}"]
    forms += [f"{d} de {MONTHS[lang][m - 1]} de {y}" for lang in ("es", "pt")]
    forms += [f"{y}年{m}月{d}日", f"{y}년 {m}월 {d}일", f"{y}. {m}. {d}"]
    if d == 1:
        forms.append(f"1er {MONTHS['fr'][m - 1]} {y}")
    return [form.casefold() for form in forms]
