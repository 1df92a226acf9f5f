"""IFEval's verifiable instructions: one pure checker per instruction id, strict and loose evaluation.

A checker takes the response and the instruction's arguments (as published in IFEval's `kwargs`) and
says whether the instruction was followed. Loose evaluation also accepts the response with its first
and/or last line removed and/or markdown asterisks stripped, forgiving a greeting or a sign-off.
"""

from __future__ import annotations

import json
import re
from typing import Callable

Checker = Callable[..., bool]


def _compare(count: int, relation: str, target: int) -> bool:
    if relation == "less than":
        return count < target
    if relation == "at least":
        return count >= target
    raise ValueError(f"relation: expected 'less than' or 'at least', got {relation!r}")


def _language(text: str) -> str | None:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect samples; a fixed seed makes its answer reproducible
    try:
        return detect(text)
    except LangDetectException:
        return None  # too little text to tell: IFEval then counts the instruction as followed


def sentences(text: str) -> list[str]:
    # an end mark followed by space and a capital, digit or quote starts a new sentence; common
    # abbreviations (e.g., Mr., Dr.) do not end one
    text = re.sub(r"\b(Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|vs|etc|e\.g|i\.e)\.", r"\1<dot>", text)
    parts = re.split(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])", text.strip())
    return [p for p in parts if p.strip()]


def words(text: str) -> list[str]:
    return re.findall(r"\b\w+(?:['-]\w+)*\b", text)


def _paragraphs_by_divider(response: str, num_paragraphs: int) -> bool:
    parts = re.split(r"\s?\*\*\*\s?", response)
    parts = parts[1:] if parts and not parts[0].strip() else parts
    parts = parts[:-1] if parts and not parts[-1].strip() else parts
    return all(p.strip() for p in parts) and len(parts) == num_paragraphs


def _nth_paragraph_first_word(response: str, num_paragraphs: int, nth_paragraph: int, first_word: str) -> bool:
    parts = [p for p in re.split(r"\n\s*\n", response.strip()) if p.strip()]
    if len(parts) != num_paragraphs or not 1 <= nth_paragraph <= len(parts):
        return False
    found = words(parts[nth_paragraph - 1])
    return bool(found) and found[0].lower() == first_word.strip().lower()


def _highlights(response: str, num_highlights: int) -> bool:
    single = [h for h in re.findall(r"\*[^\n\*]*\*", response) if h.strip("*").strip()]
    double = [h for h in re.findall(r"\*\*[^\n\*]*\*\*", response) if h.strip("*").strip()]
    return len(single) + len(double) >= num_highlights


def _is_json(response: str) -> bool:
    text = re.sub(r"^```(?:json|javascript)?\s*|\s*```$", "", response.strip(), flags=re.IGNORECASE)
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _two_responses(response: str) -> bool:
    parts = [p.strip() for p in response.split("******")]
    parts = [p for i, p in enumerate(parts) if p or 0 < i < len(parts) - 1]
    return len(parts) == 2 and all(parts) and parts[0] != parts[1]


def _language_is(response: str, language: str) -> bool:
    found = _language(response)
    return found is None or found == language


CHECKERS: dict[str, Checker] = {
    "keywords:existence": lambda r, keywords: all(re.search(re.escape(k), r, re.IGNORECASE) for k in keywords),
    "keywords:frequency": lambda r, keyword, frequency, relation: _compare(
        len(re.findall(re.escape(keyword), r, re.IGNORECASE)), relation, frequency
    ),
    "keywords:forbidden_words": lambda r, forbidden_words: not any(
        re.search(rf"\b{re.escape(w)}\b", r, re.IGNORECASE) for w in forbidden_words
    ),
    "keywords:letter_frequency": lambda r, letter, let_frequency, let_relation: _compare(
        r.lower().count(letter.lower()), let_relation, let_frequency
    ),
    "language:response_language": _language_is,
    "length_constraints:number_sentences": lambda r, num_sentences, relation: _compare(
        len(sentences(r)), relation, num_sentences
    ),
    "length_constraints:number_paragraphs": _paragraphs_by_divider,
    "length_constraints:number_words": lambda r, num_words, relation: _compare(len(words(r)), relation, num_words),
    "length_constraints:nth_paragraph_first_word": _nth_paragraph_first_word,
    "detectable_content:number_placeholders": lambda r, num_placeholders: len(re.findall(r"\[.*?\]", r))
    >= num_placeholders,
    "detectable_content:postscript": lambda r, postscript_marker: bool(
        re.search(r"\s*" + re.escape(postscript_marker.strip().lower()).replace(r"\ ", r"\s?") + r".*$",
                  r.lower(), re.MULTILINE)
    ),  # fmt: skip
    "detectable_format:number_bullet_lists": lambda r, num_bullets: len(
        re.findall(r"^\s*[*-][^\S\n]+[^\n]*$", r, re.MULTILINE)
    )
    == num_bullets,
    "detectable_format:constrained_response": lambda r: any(
        option in r for option in ("My answer is yes.", "My answer is no.", "My answer is maybe.")
    ),
    "detectable_format:number_highlighted_sections": _highlights,
    "detectable_format:multiple_sections": lambda r, section_spliter, num_sections: len(
        re.split(rf"\s?{re.escape(section_spliter.strip())}\s?\d+\s?", r)
    )
    - 1
    >= num_sections,
    "detectable_format:json_format": _is_json,
    "detectable_format:title": lambda r: any(t.strip() for t in re.findall(r"<<([^\n]+?)>>", r)),
    "combination:two_responses": _two_responses,
    "combination:repeat_prompt": lambda r, prompt_to_repeat: r.strip().lower().startswith(
        prompt_to_repeat.strip().lower()
    ),
    "startend:end_checker": lambda r, end_phrase: r.strip().lower().endswith(end_phrase.strip().lower()),
    "startend:quotation": lambda r: len(r.strip()) > 1 and r.strip()[0] == '"' and r.strip()[-1] == '"',
    "change_case:capital_word_frequency": lambda r, capital_frequency, capital_relation: _compare(
        sum(w.isupper() for w in words(r)), capital_relation, capital_frequency
    ),
    "change_case:english_capital": lambda r: r.isupper() and _language_is(r, "en"),
    "change_case:english_lowercase": lambda r: r.islower() and _language_is(r, "en"),
    "punctuation:no_comma": lambda r: "," not in r,
}


def loose_variants(response: str) -> list[str]:
    """The response, without its first line, last line or both, each also with asterisks removed."""
    lines = response.split("\n")
    cuts = [response, "\n".join(lines[1:]), "\n".join(lines[:-1]), "\n".join(lines[1:-1])]
    return [v for cut in cuts for v in (cut, cut.replace("*", "")) if v.strip()]


def follows(instruction_id: str, kwargs: dict, response: str, loose: bool = False) -> bool:
    """Whether `response` follows the instruction; loose: whether any loose variant does."""
    checker = CHECKERS[instruction_id]
    args = {k: v for k, v in kwargs.items() if v is not None}
    candidates = loose_variants(response) if loose else [response]
    return bool(response.strip()) and any(checker(c, **args) for c in candidates)
