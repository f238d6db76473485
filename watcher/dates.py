"""How dates are written in the languages policies are most often published in.

Month names (and the English abbreviations) for English, French, German,
Spanish, Italian, Portuguese and Dutch, shared by the noise rules (the date of
the day, :mod:`watcher.volatile`) and the stated-date detection of reports
(:mod:`watcher.diffing.classify`). Pure data and pure functions.
"""

from __future__ import annotations

from datetime import date

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


def day_forms(day: date) -> list[str]:
    """The ways pages commonly write ``day``, case-folded: ISO and numeric forms, and
    with the month's name in each language."""
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
    if d == 1:
        forms.append(f"1er {MONTHS['fr'][m - 1]} {y}")
    return [form.casefold() for form in forms]
