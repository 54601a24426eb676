#!/usr/bin/env python3
"""Writes the expected outputs that tests/ComfySnap.Tests/Text compares the C# tokenizer with.

Everything comes from the Python reference (sdref/sdref.py: CLIPBPE, SDTokenizer) and the
golden cases' manifest; nothing here is computed by ComfySnap. Rerun from the repository root:
    SDREF_BIND=$PWD $SDREF_DIR/run.sh $PWD/tests/ComfySnap.Tests/Text/Fixtures/make_tokenizer_fixture.py
(add SDREF_DIR=... if sdref lives elsewhere). It rewrites tokenizer_fixture.json and
unicode_fixture.json next to this script; "embedding ... does not exist" warnings are expected.
"""
import json
import os
import random
import sys
import unicodedata

SDREF_DIR = os.environ.get("SDREF_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 5, "shared", "sdref"))
sys.path.insert(0, SDREF_DIR)
import regex  # noqa: E402  (the module CLIPBPE splits with)
import sdref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORDS = ("red fox jumps over lazy dog under bright moon while owls watch from tall pine trees near "
         "quiet river banks covered with soft green moss and small white flowers").split()


def words(n, start=0):
    return " ".join(WORDS[(start + i) % len(WORDS)] for i in range(n))


def prompts(bpe):
    cat75 = " ".join(["cat"] * 75)
    assert len(bpe.encode(cat75)) == 75
    long_group = "(" + " ".join(f"w{i}" for i in range(40)) + ":1.2)"
    assert len(bpe.encode(long_group[1:-5])) >= 8
    return [
        # plain text, punctuation, numbers, contractions
        "a photo of a cat",
        "Hello, World! How's it going?... #hashtag @user & co.",
        "1234 3.14159 42nd street 2x4 1,000,000",
        "it's don't we'll they're I'm you've he'd IT'S",
        "rock'n'roll o'clock '90s 'quoted'",
        # unicode
        "ünïcödé café naïve Ångström",
        "日本語のテキスト 中文 한국어",
        "emoji 🐱🚀 ❤️ 👩‍👩‍👧 flags 🇫🇷",
        "e\u0301te\u0301 decomposed accents and \uF900 compatibility ideograph",
        "ΟΔΟΣ ΣΑΣ Σ İstanbul Kelvin \u212A",
        "𝐀𝐁𝐂 bold 🐱𝐀 x²³ ½ Ⅻ ١٢٣",
        "it'ſ long s <|ſtartoftext|>",
        "<|startoftext|> inside <|endoftext|> a!<|endoftext|>",
        # whitespace
        "  multiple   spaces\n\nand\tnewlines \r\n end  ",
        "nbsp\u00a0ideographic\u3000space file\x1cseparator",
        # emphasis
        "(word)",
        "((word))",
        "(((word)))",
        "(word:1.2)",
        "(a (b:0.5) c:1.3)",
        "(a (b:0.5) c)",
        "((a:1.2)b:0.5)",
        "[word]",
        "\\(literal\\)",
        "(\\(inner\\):1.5) and \\((escaped group)\\)",
        "(word:abc)",
        "(word: 1.5 )",
        "(word:1e-1) (word:-0.5) (word:.5) (word:5.) (word:1e) (word:1.2.3)",
        "(word:inf) (word:-Infinity) (word:nan)",
        "(word:1_0) (word:１.５) (word:) (:1.2) (word:1:2)",
        "(a",
        "a)",
        "a))(b) ((c)",
        ")(",
        "",
        "   ",
        ",",
        # windows
        cat75,
        cat75 + " cat",
        words(170),
        words(70) + " " + "(a b c d e f g h i j:1.2)",
        words(72) + " " + "(a b c d e:1.2)",
        words(60) + " " + long_group + " tail",
        "(" + words(200) + ":0.9)",
        words(75) + " (x:1.2)",
        # embeddings (none exist: the name is dropped)
        "embedding:foo bar",
        "a embedding:foo, b",
        "(embedding:foo bar:1.2) c",
        "a\nembedding:x,, y",
        "embedding:,foo bar",
        "a embedding:,\\)🐱 best, embedding:,🐱𝐀 y",
        "a embedding: b",
        "Embedding:foo notcut",
        # the default workflow's prompts
        "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,",
        "text, watermark",
    ]


def weight_json(w):
    # JSON has no NaN/Infinity: such weights are written as strings.
    return w if w == w and abs(w) != float("inf") else repr(w)


FLOAT_TEXTS = ["1.2", "  1.2 ", "1e-1", "-0.5", "+.5", "5.", ".", "", " ", "1e", "1e+", "1.2.3", "1,5", "0x10",
               "inf", "-Infinity", "+iNf", "nan", "-NaN", "infinit", "in f", "+-1", "1_000", "1__0", "_1", "1_",
               "1_.5", "1._5", "1e1_0", "\u00a01.5\u3000", "\x1c1.5", "1.5\x1c", "\u0661.\u0665", "\U0001D7CF.5",
               "\u00bd", "\u00b2", "1.5\0", "1e400", "-1e-400", "12345678901234567890.123456789", "0.1e-1 ", "\t3\n"]


def float_or_none(text):
    try:
        return weight_json(float(text))
    except ValueError:
        return None


def golden_cases():
    cases_dir = os.path.join(SDREF_DIR, "cases")
    with open(os.path.join(cases_dir, "manifest.json")) as f:
        manifest = json.load(f)
    out = []
    for case in manifest["cases"]:
        with open(os.path.join(cases_dir, case["workflow"])) as f:
            workflow = json.load(f)
        for node, cond in sorted(case["conditioning"].items()):
            out.append({"case": case["name"], "node": node, "prompt": workflow[node]["inputs"]["text"],
                        "tokens": cond["tokens"]})
    return out


def ranges(pred):
    out, start = [], None
    for cp in range(0x110001):
        inside = cp < 0x110000 and not 0xD800 <= cp < 0xE000 and pred(chr(cp))
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            out.append([start, cp - 1])
            start = None
    return out


def unicode_fixture():
    letter, number, space = (regex.compile(p) for p in (r"[\p{L}]", r"[\p{N}]", r"\s"))
    rng = random.Random(1)
    pool = ("aeiouAEnN\u0131i\u0130\u03a3\u03c3\u1100\u1161\u11a8\uac00\u0300\u0301\u0308\u0323\u0328"
            "\u031b\u0345\u0344\u0f71\u0f72\u0f73\u0b47\u0b3e\u0b57\u09c7\u09be \u05d0\u05b7\u0958\u2126")
    sequences = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 8))) for _ in range(400)]
    hangul_sample = range(0xAC00, 0xAC00 + 11172, 101)  # composed by formula: a sample is enough
    decomposable = [chr(cp) for cp in range(0x110000)
                    if not 0xD800 <= cp < 0xE000 and unicodedata.decomposition(chr(cp))[:1] not in ("", "<")
                    and (not 0xAC00 <= cp < 0xAC00 + 11172 or cp in hangul_sample)]
    nfc_inputs = decomposable + [unicodedata.normalize("NFD", c) for c in decomposable] + sequences
    lower_strings = ["ΟΔΟΣ", "ΟΔΟΣ.", "Σ", "ΑΣ'Β", "ΑΣ'", "Α\u0301Σ", "ΑΣ\u0301", "aΣb", "1Σ", "ⒶΣ", "ʰΣ", "İ"]
    return {
        "unicode": unicodedata.unidata_version,
        "letter_ranges": ranges(lambda c: letter.match(c)),
        "number_ranges": ranges(lambda c: number.match(c)),
        "regex_space": [ord(c) for c in map(chr, range(0x110000)) if space.match(c)],
        "python_space": [cp for cp in range(0x110000) if chr(cp).isspace()],
        "lower_changed": [[cp, chr(cp).lower()] for cp in range(0x110000)
                          if not 0xD800 <= cp < 0xE000 and chr(cp).lower() != chr(cp)],
        "lower_strings": [[s, s.lower()] for s in lower_strings],
        "nfc": [[s, unicodedata.normalize("NFC", s)] for s in nfc_inputs],
    }


def main():
    tokenizer = sdref.SDTokenizer()
    cases = []
    for p in prompts(tokenizer.bpe):
        windows = tokenizer.tokenize_with_weights(p)
        cases.append({"prompt": p, "bpe": tokenizer.bpe.encode(p),
                      "windows": [[[t, weight_json(w)] for t, w in window] for window in windows]})
    fixture = {"generator": "make_tokenizer_fixture.py (sdref SDTokenizer, CLIPBPE)", "cases": cases,
               "golden_cases": golden_cases(), "floats": [[t, float_or_none(t)] for t in FLOAT_TEXTS]}
    with open(os.path.join(HERE, "tokenizer_fixture.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(HERE, "unicode_fixture.json"), "w", encoding="utf-8") as f:
        json.dump(unicode_fixture(), f, ensure_ascii=False, separators=(",", ":"))
    print(f"{len(cases)} prompts, {len(fixture['golden_cases'])} golden prompts", file=sys.stderr)


if __name__ == "__main__":
    main()
