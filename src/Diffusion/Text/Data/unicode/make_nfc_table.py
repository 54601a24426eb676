#!/usr/bin/env python3
"""Writes nfc_table.txt: the Unicode data that ComfySnap.Worker.Text.UnicodeNfc needs to compose
text to NFC (the worker runs with InvariantGlobalization, where string.Normalize does nothing).

Derived from Python's unicodedata (Unicode Character Database, see THIRD_PARTY_NOTICES.md). Rerun
after a Unicode version change of the reference (sdref's Python), from the repository root:
    SDREF_BIND=$PWD $SDREF_DIR/run.sh $PWD/src/Worker/Text/Data/unicode/make_nfc_table.py
"""
import os
import sys
import unicodedata

HANGUL = range(0xAC00, 0xAC00 + 11172)  # composed by formula, not by table


def code_points():
    return (cp for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nfc_table.txt")
    lines = [
        f"# Canonical data for NFC, Unicode {unicodedata.unidata_version}, written by make_nfc_table.py.",
        "# C FIRST LAST CLASS: canonical combining class of a range (absent: 0)",
        "# D CP A B: CP decomposes to A B and A B compose back to CP (a primary composite)",
        "# X CP A [B]: CP decomposes but is never composed back (singleton, excluded, non-starter)",
    ]
    ranges, start, prev, cls = [], None, None, 0
    for cp in code_points():
        c = unicodedata.combining(chr(cp))
        if start is not None and (c != cls or cp != prev + 1):
            ranges.append((start, prev, cls))
            start = None
        if c and start is None:
            start, cls = cp, c
        prev = cp
    if start is not None:
        ranges.append((start, prev, cls))
    lines += [f"C {a:04X} {b:04X} {c}" for a, b, c in ranges]

    seconds = set()
    for cp in code_points():
        d = unicodedata.decomposition(chr(cp))
        if not d or d.startswith("<") or cp in HANGUL:
            continue
        parts = [int(p, 16) for p in d.split()]
        composes = len(parts) == 2 and unicodedata.normalize("NFC", unicodedata.normalize("NFD", chr(cp))) == chr(cp)
        if composes:
            seconds.add(parts[1])
        lines.append(("D " if composes else "X ") + " ".join(f"{p:04X}" for p in [cp] + parts))

    # UnicodeNfc skips text below U+0300: check that such text is always NFC already.
    assert all(unicodedata.is_normalized("NFC", chr(c)) and unicodedata.combining(chr(c)) == 0 for c in range(0x300))
    assert min(seconds) >= 0x300
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{out}: {len(lines)} lines, {len(ranges)} class ranges", file=sys.stderr)


if __name__ == "__main__":
    main()
