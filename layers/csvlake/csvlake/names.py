"""Column names for outputs: lower snake_case ASCII, never blank, never repeated."""

from __future__ import annotations

import re
import unicodedata

# Latin letters that NFKD does not take apart into an ASCII letter and marks: `Größe` → `grosse`.
LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "ı": "i",
    }
)


def snake_case(name: str) -> str:
    """`Preço Unitário` → `preco_unitario`; `CustomerID` → `customer_id`; `B01001_001E` (a Census
    variable code) → `b01001_001e`: a capital after a digit is part of the code, not a new word."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(LETTERS)).encode("ascii", "ignore").decode()
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", ascii_name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def output_names(source_names: list[str], renames: dict[int, str] | None = None) -> tuple[list[str], list[str]]:
    """Unique output names, decided left to right, and a warning for each name that had to change
    beyond case and punctuation (blank, repeated, or colliding once normalised). `renames` (by
    0-based position: a contract's `rename`) are kept as they are and win over other names."""
    renames = renames or {}
    names: list[str] = []
    warnings: list[str] = []
    used: set[str] = set(renames.values())
    for position, source in enumerate(source_names, start=1):
        if position - 1 in renames:
            names.append(renames[position - 1])
            continue
        base = snake_case(source)
        if not base:
            base = f"column_{position}"
            why = "has a blank header" if not source.strip() else f"header {source!r} has no ASCII letter or digit"
            warnings.append(f"column {position} {why}; named {base!r}")
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        if name != base:
            warnings.append(f"column {position} header {source!r} repeats an earlier name; named {name!r}")
        used.add(name)
        names.append(name)
    return names, warnings
