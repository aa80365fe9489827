"""Lexicon risk engine for free text (journal entries, later peer messages).

The phrases live in data/lexicon/risk_terms.json, one entry per meaning with a stable id,
a language ("en" or "zh"), a level (watch, high, imminent) and plain-text patterns.
English patterns match whole words, case-insensitively (an apostrophe in a pattern is
optional in the text, so "can't" also matches "cant"); Chinese patterns match as
substrings. The text is NFKC-normalised first, so full-width letters and punctuation
read like their ASCII forms.

A match does not count when:
- it is negated: a negation cue of its language stands within a short window before it
  in the same clause (English: 3 words, Chinese: 4 characters). Pseudo-negations such
  as "why not" or 受不了 and the text of other matches in the window are not cues, and a
  pattern that itself contains a negation word ("can't go on", 不想活了) is matched as a
  whole, so its own negation never cancels it;
- it is quoted: it lies inside a pair of quotation marks on one line (straight or curly,
  double or single, corner brackets, book-title marks), or its clause holds a reporting
  cue of either language ("the song says", 歌词, 他说, 电影里 …);
- an entry's exclusion phrase contains it (想死你了 "I miss you so much").
Clauses end at . ! ? ; , (ASCII or full-width), the ideographic full stop and newlines.

Only entry ids, levels and flags leave this module: never the text that matched.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.risk import Risk, RiskLevel, max_level

Lang = Literal["en", "zh"]
HitLevel = Literal["watch", "high", "imminent"]
LANGS: tuple[Lang, ...] = ("en", "zh")

LEXICON_FILE = Path(__file__).resolve().parents[1] / "data" / "lexicon" / "risk_terms.json"
REASON_PREFIX = "lexicon:"

# . ! ? ; , in ASCII and full-width, the ideographic full stop, newline.
_CLAUSE_END = re.compile(r"[.!?;,\u3002\uff01\uff1f\uff1b\uff0c\n]")
_FORBIDDEN_IN_PHRASE = re.compile(
    r"[.!?;,\u3002\uff01\uff1f\uff1b\uff0c\n\"\u201c\u201d\u2018\u2019\u300c\u300d\u300e\u300f\u300a\u300b]"
)
_EN_PHRASE = re.compile(r"[a-z0-9]+(?:[' -][a-z0-9]+)*'?")
# A quotation is a pair of marks on one line. The content may not hold another opening
# mark of the same kind, so an unclosed mark costs one look to the next one, not to the
# end of the line (the scan stays linear in the length of the text).
_QUOTED = re.compile(
    r"\"[^\"\n]*\""  # straight double
    r"|\u201c[^\u201c\u201d\n]*\u201d"  # curly double
    r"|\u2018[^\u2018\u2019\n]*\u2019"  # curly single
    r"|\u300c[^\u300c\u300d\n]*\u300d"  # corner brackets
    r"|\u300e[^\u300e\u300f\n]*\u300f"  # white corner brackets
    r"|\u300a[^\u300a\u300b\n]*\u300b"  # book-title marks
    # A straight single quote opens only after a non-letter, closes only before one, and
    # inside it an apostrophe must stand between letters (don't, I'm).
    r"|(?<![a-z0-9])'(?=[^\s'])(?:[^'\n]|(?<=[a-z0-9])'(?=[a-z0-9]))*?(?<=\S)'(?![a-z0-9])"
)
# Curly or back-tick apostrophes inside a word become straight ones (don't).
_APOSTROPHE = re.compile(r"(?<=\w)[\u2019\u2018`](?=\w)")
_CURLY = re.compile(r"[\u2019\u2018`]")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*|_+")
_MASK = "_"
# How much text before a match the negation check reads, per word (en) or character (zh)
# of the window: far more than the window needs, and a bound on the work per match.
_LOOK_BACK_PER_UNIT = {"en": 100, "zh": 10}


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _APOSTROPHE.sub("'", text) if _CURLY.search(text) else text


# --- The data file ---------------------------------------------------------------------


def _check_phrase(lang: Lang, phrase: str) -> str:
    if phrase != phrase.strip() or not phrase:
        raise ValueError("must be non-empty, without leading or trailing spaces")
    if _normalize(phrase) != phrase:
        raise ValueError("must be written lower-case and NFKC-normalised")
    if _FORBIDDEN_IN_PHRASE.search(phrase):
        raise ValueError("must not contain clause punctuation or quotation marks")
    if lang == "en" and not _EN_PHRASE.fullmatch(phrase):
        raise ValueError("an English phrase is words of a-z and 0-9 joined by one space, - or '")
    if lang == "zh" and re.search(r"\s", phrase):
        raise ValueError("a Chinese phrase has no spaces")
    return phrase


class LexiconEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^(en|zh)_[a-z0-9]+(?:_[a-z0-9]+)*$")
    lang: Lang
    level: HitLevel
    patterns: tuple[str, ...] = Field(min_length=1)
    exclusions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> LexiconEntry:
        if not self.id.startswith(f"{self.lang}_"):
            raise ValueError(f"id must start with its language, {self.lang}_")
        for field, phrases in (("patterns", self.patterns), ("exclusions", self.exclusions)):
            for index, phrase in enumerate(phrases):
                try:
                    _check_phrase(self.lang, phrase)
                except ValueError as error:
                    raise ValueError(f"{field}[{index}]: {error}") from None
            if len(set(phrases)) != len(phrases):
                raise ValueError(f"{field} lists a phrase twice")
        for exclusion in self.exclusions:
            if not any(p in exclusion for p in self.patterns):
                raise ValueError(f"exclusion {exclusion!r} contains none of the patterns")
        return self


class LanguageRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    negation_cues: tuple[str, ...] = Field(min_length=1)
    negation_window: int = Field(ge=1, le=10)
    pseudo_negations: tuple[str, ...] = ()
    reporting_cues: tuple[str, ...] = ()
    not_reporting: tuple[str, ...] = ()


class LexiconFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    description: str = ""
    languages: dict[Lang, LanguageRules]
    entries: tuple[LexiconEntry, ...] = Field(min_length=1)

    @field_validator("languages")
    @classmethod
    def _both_languages(cls, languages: dict[Lang, LanguageRules]) -> dict[Lang, LanguageRules]:
        missing = [lang for lang in LANGS if lang not in languages]
        if missing:
            raise ValueError(f"rules missing for {', '.join(missing)}")
        for lang, rules in languages.items():
            for field in ("negation_cues", "pseudo_negations", "reporting_cues", "not_reporting"):
                for index, phrase in enumerate(getattr(rules, field)):
                    try:
                        _check_phrase(lang, phrase)
                    except ValueError as error:
                        raise ValueError(f"{lang}.{field}[{index}]: {error}") from None
        return languages

    @model_validator(mode="after")
    def _unique(self) -> LexiconFile:
        seen_ids: set[str] = set()
        owner: dict[tuple[Lang, str], str] = {}
        for entry in self.entries:
            if entry.id in seen_ids:
                raise ValueError(f"entry {entry.id}: duplicate id")
            seen_ids.add(entry.id)
            for pattern in entry.patterns:
                first = owner.setdefault((entry.lang, pattern), entry.id)
                if first != entry.id:
                    raise ValueError(f"entry {entry.id}: pattern {pattern!r} is also in {first}")
        return self


def _location(loc: Sequence[int | str], document: Any) -> str:
    """`entries[3] (en_kill_myself).patterns[0]` from a pydantic error location."""
    text = ""
    node = document
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                text += f" ({node['id']})"
        else:
            text += f".{part}" if text else part
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _parse(path: Path) -> LexiconFile:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path.name}: unreadable JSON: {error}") from error
    try:
        return LexiconFile.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{path.name}: {_location(e['loc'], document) or '(file)'}: "
            + str(e["msg"]).removeprefix("Value error, ")
            for e in error.errors()
        ]
        raise ValueError("\n".join(problems)) from None


# --- Compiled matchers -----------------------------------------------------------------


def _units(lang: Lang, phrase: str) -> tuple[str, ...]:
    """The phrase as regex pieces: in English a space is any run of spaces (not a newline)
    and an apostrophe may be left out."""
    if lang == "zh":
        return tuple(re.escape(char) for char in phrase)
    return tuple(
        r"[^\S\n]+" if char == " " else "'?" if char == "'" else re.escape(char) for char in phrase
    )


def _trie(sequences: Iterable[tuple[str, ...]]) -> str:
    """An alternation of the sequences with shared prefixes factored out.

    Python's regex engine tries every alternative at every position; a trie tests each
    position against one set of first characters instead, several times faster on long
    text. Greedy optional tails keep the longest phrase first, as an alternation ordered
    longest-first would.
    """
    root: dict[str, Any] = {}
    for sequence in sequences:
        node = root
        for unit in sequence:
            node = node.setdefault(unit, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        branches = [unit + render(child) for unit, child in sorted(node.items()) if unit]
        if not branches:
            return ""
        if "" in node:
            return "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return render(root)


def _phrase_regex(lang: Lang, phrases: Iterable[str]) -> str:
    """All phrases in one pattern; English ones only as whole words."""
    body = _trie(_units(lang, p) for p in phrases)
    return body if lang == "zh" else r"(?<![a-z0-9])(?:" + body + r")(?![a-z0-9])"


def _optional_regex(lang: Lang, phrases: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile(_phrase_regex(lang, phrases)) if phrases else None


def _cue_tokens(cue: str) -> tuple[str, ...]:
    return tuple(word.replace("'", "") for word in cue.split())


@dataclass(frozen=True)
class _Entry:
    entry: LexiconEntry
    regex: re.Pattern[str]
    exclusions: re.Pattern[str] | None


@dataclass(frozen=True)
class _Language:
    lang: Lang
    window: int
    any_match: re.Pattern[str]
    entries: tuple[_Entry, ...]
    cues: tuple[str, ...]  # zh: substrings
    cue_tokens: tuple[tuple[str, ...], ...]  # en: word sequences without apostrophes
    pseudo: re.Pattern[str] | None
    reporting: re.Pattern[str] | None
    not_reporting: re.Pattern[str] | None


def _compile_language(
    lang: Lang, rules: LanguageRules, entries: Sequence[LexiconEntry]
) -> _Language:
    compiled = tuple(
        _Entry(
            entry=e,
            regex=re.compile(_phrase_regex(lang, e.patterns)),
            exclusions=_optional_regex(lang, e.exclusions),
        )
        for e in entries
    )
    all_patterns = [p for e in entries for p in e.patterns]
    return _Language(
        lang=lang,
        window=rules.negation_window,
        # Matches never cross a clause end, so every match of any entry touches a clause
        # where this combined pattern matches too: only those clauses are scanned entry by
        # entry. An impossible pattern stands in when a language has no entries.
        any_match=re.compile(_phrase_regex(lang, all_patterns) if all_patterns else r"(?!)"),
        entries=compiled,
        cues=rules.negation_cues,
        cue_tokens=tuple(_cue_tokens(c) for c in rules.negation_cues),
        pseudo=_optional_regex(lang, rules.pseudo_negations),
        reporting=_optional_regex(lang, rules.reporting_cues),
        not_reporting=_optional_regex(lang, rules.not_reporting),
    )


@dataclass(frozen=True, slots=True)
class LexiconHit:
    """One match of a lexicon entry. Carries no text: only the entry and how it was read."""

    entry_id: str
    level: HitLevel
    lang: Lang
    negated: bool
    quoted: bool

    @property
    def effective(self) -> bool:
        return not self.negated and not self.quoted

    @property
    def reason(self) -> str:
        return f"{REASON_PREFIX}{self.entry_id}"


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    language: _Language
    entry: LexiconEntry


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + _MASK * (end - start) + text[end:]
    return text


def _mask_regex(text: str, regex: re.Pattern[str] | None) -> str:
    if regex is None:
        return text
    return regex.sub(lambda m: _MASK * len(m.group()), text)


def _inside(spans: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    """Whether [start, end) lies inside one of the sorted, non-overlapping spans."""
    index = bisect_right(starts, start) - 1
    return index >= 0 and end <= spans[index][1]


class Lexicon:
    """A validated lexicon with its patterns compiled once."""

    def __init__(self, data: LexiconFile) -> None:
        self.data = data
        self.version = data.version
        self.entries = data.entries
        self._languages = tuple(
            _compile_language(
                lang, data.languages[lang], [e for e in data.entries if e.lang == lang]
            )
            for lang in LANGS
        )

    def scan(self, text: str) -> list[LexiconHit]:
        """Every match in text order, negated and quoted ones included (for tests, debugging)."""
        return list(self._hits(text, once_effective=False))

    def assess(self, text: str) -> Risk:
        """Risk of the text: the highest level of its effective hits, reasons `lexicon:<id>`."""
        level: RiskLevel = "none"
        reasons: list[str] = []
        for hit in self._hits(text, once_effective=True):
            if hit.effective:
                level = max_level(level, hit.level)
                reasons.append(hit.reason)
        return Risk(level=level, reasons=reasons)

    def _hits(self, text: str, *, once_effective: bool) -> Iterator[LexiconHit]:
        """The hits in text order. With once_effective, an entry that already has an
        effective hit is not judged again (all an assessment needs: a text made of one
        phrase repeated stays fast)."""
        norm = _normalize(text)
        clause_ends = [m.start() for m in _CLAUSE_END.finditer(norm)]
        clauses = self._matches(norm, clause_ends)
        if not clauses:
            return
        quotes = [m.span() for m in _QUOTED.finditer(norm)]
        quote_starts = [start for start, _ in quotes]
        done: set[str] = set()
        for (start, end), matches in sorted(clauses.items()):
            reported: bool | None = None
            for index, match in enumerate(matches):
                if match.entry.id in done:
                    continue
                if reported is None:
                    reported = self._has_reporting_cue(norm[start:end])
                hit = LexiconHit(
                    entry_id=match.entry.id,
                    level=match.entry.level,
                    lang=match.entry.lang,
                    negated=self._negated(norm, start, matches, index),
                    quoted=reported or _inside(quotes, quote_starts, match.start, match.end),
                )
                if once_effective and hit.effective:
                    done.add(hit.entry_id)
                yield hit

    def _matches(self, norm: str, clause_ends: list[int]) -> dict[tuple[int, int], list[_Match]]:
        """The matches of every entry, by clause (start, end), each list in text order."""
        found: dict[tuple[int, int], list[_Match]] = {}
        for language in self._languages:
            indexes = {
                bisect_right(clause_ends, m.start()) for m in language.any_match.finditer(norm)
            }
            for index in indexes:
                start = clause_ends[index - 1] + 1 if index else 0
                end = clause_ends[index] if index < len(clause_ends) else len(norm)
                clause = found.setdefault((start, end), [])
                for compiled in language.entries:
                    excluded = (
                        [m.span() for m in compiled.exclusions.finditer(norm, start, end)]
                        if compiled.exclusions
                        else []
                    )
                    excluded_starts = [a for a, _ in excluded]
                    for m in compiled.regex.finditer(norm, start, end):
                        if not _inside(excluded, excluded_starts, m.start(), m.end()):
                            clause.append(_Match(m.start(), m.end(), language, compiled.entry))
        for clause in found.values():
            clause.sort(key=lambda m: (m.start, m.end))
        return {span: matches for span, matches in found.items() if matches}

    def _has_reporting_cue(self, clause: str) -> bool:
        return any(
            language.reporting.search(_mask_regex(clause, language.not_reporting))
            for language in self._languages
            if language.reporting is not None
        )

    def _negated(self, norm: str, clause_start: int, matches: list[_Match], index: int) -> bool:
        match = matches[index]
        language = match.language
        look_back = _LOOK_BACK_PER_UNIT[language.lang] * language.window
        base = max(clause_start, match.start - look_back)
        # Earlier matches in the clause are risk phrases, not negations of this one.
        others = []
        for earlier in reversed(matches[max(0, index - 20) : index]):
            if base < earlier.end <= match.start:
                others.append((max(earlier.start, base) - base, earlier.end - base))
        before = _mask_regex(_mask(norm[base : match.start], others), language.pseudo)
        if language.lang == "zh":
            window = re.sub(r"\s+", "", before)[-language.window :]
            return any(cue in window for cue in language.cues)
        words = _EN_TOKEN.findall(before)
        if base > clause_start and words:
            words = words[1:]  # the look-back may have cut the first word
        tokens = [word.replace("'", "") for word in words][-language.window :]
        return any(
            tuple(tokens[i : i + len(cue)]) == cue
            for cue in language.cue_tokens
            for i in range(len(tokens) - len(cue) + 1)
        )


@cache
def load_lexicon(path: Path | None = None) -> Lexicon:
    """The lexicon at `path` (default: the bundled one); ValueError naming every bad entry."""
    return Lexicon(_parse(path or LEXICON_FILE))


def scan(text: str, lexicon: Lexicon | None = None) -> list[LexiconHit]:
    """Every lexicon match in `text`, negated and quoted ones included."""
    return (lexicon or load_lexicon()).scan(text)


def assess_text(text: str, lexicon: Lexicon | None = None) -> Risk:
    """Risk of a free text: the highest level of its effective hits, reasons `lexicon:<id>`."""
    return (lexicon or load_lexicon()).assess(text)
