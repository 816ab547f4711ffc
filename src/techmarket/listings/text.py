"""Chinese full-text search terms: segmentation at write time, queries at read time.

A record's search vector holds the segmenter's search-mode words plus every bigram of each
run of CJK characters, so a two-character query matches any record containing it, even
inside a longer word the segmenter kept whole. Vectors and queries are built as explicit
``tsvector``/``tsquery`` literals, independent of the database's text-search parser and
locale. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import rjieba

MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff][0-9a-z\-_.\u3400-\u9fff]*")
STOP_WORDS = frozenset(
    {
        *("的", "了", "和", "与", "及", "或", "等", "在", "是", "对", "将", "其"),
        *("一种", "一个", "以及", "及其", "用于", "基于", "方法", "装置", "系统", "技术"),
    }
)


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def words(text: str) -> list[str]:
    """Search-mode words of ``text``, lowercased, without punctuation and stop words."""
    out = []
    for token in rjieba.cut_for_search(text.lower()):
        token = token.strip()
        if token and token not in STOP_WORDS and _WORD.fullmatch(token):
            out.append(token)
    return out


def bigrams(text: str) -> list[str]:
    return [run[i : i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1)]


def terms(text: str) -> list[str]:
    """Everything a record's text is findable by."""
    return words(text) + bigrams(text)


def tsvector_literal(fields: Iterable[tuple[str, str]]) -> str:
    """A ``tsvector`` literal from (weight, text) pairs, weights ``A``–``D``. A term keeps
    one position in each field it is in (its first there), so a record that names a term
    in its title, keywords and summary ranks above one whose title merely mentions it."""
    lexemes: dict[str, list[str]] = {}
    position = 0
    for weight, text in fields:
        here: set[str] = set()
        for term in terms(text):
            position = min(position + 1, MAX_POSITION)
            if term not in here:
                here.add(term)
                lexemes.setdefault(term, []).append(f"{position}{weight}")
    return " ".join(f"{_quote(t)}:{','.join(p)}" for t, p in lexemes.items())


def tsquery_literal(query: str) -> str | None:
    """Every query word must match: as a word, or (for Chinese) through its bigrams.
    None when the query has nothing searchable."""
    clauses = []
    for word in dict.fromkeys(words(query)):
        if _CJK.fullmatch(word):
            if len(word) == 1:
                clauses.append(_single(word, query))
            elif len(word) == 2:
                clauses.append(_quote(word))
            else:
                grams = " & ".join(_quote(g) for g in dict.fromkeys(bigrams(word)))
                clauses.append(f"({_quote(word)} | ({grams}))")
        else:
            clauses.append(f"{_quote(word)}:*")
    return " & ".join(dict.fromkeys(clauses)) if clauses else None


def _single(char: str, query: str) -> str:
    """A single Chinese character of the query: split off a longer run of it (碳 of 碳捕集),
    the bigrams joining it to its neighbours there (any record holding the run holds them,
    and the index finds them directly); standing alone, any bigram it begins (a prefix,
    which the index must gather from every such bigram)."""
    for run in _CJK.findall(query.lower()):
        at = run.find(char)
        if at >= 0 and len(run) > 1:
            grams = [run[i : i + 2] for i in (at - 1, at) if 0 <= i <= len(run) - 2]
            return "(" + " | ".join(_quote(g) for g in grams) + ")"
    return f"{_quote(char)}:*"


# Words that say nothing about the technology itself (requests, boilerplate).
GENERIC = frozenset(
    {
        *("寻求", "合作", "技术合作", "需要", "急需", "希望", "计划", "相关", "提高", "解决"),
        *("公司", "我公司", "我们", "开发", "应用", "研究", "产业", "产业化", "领域", "方向"),
        *("难题", "问题", "方面", "欢迎", "高校", "院所", "揭榜", "扩大", "生产", "工程"),
        *("工程化", "成果", "本成果", "关键", "工艺", "性能", "指标", "国内", "领先", "水平"),
        *("完成", "小试", "中试", "可用", "围绕", "突破", "达到", "制备", "关键技术"),
        *("技术转让", "转让", "许可", "合作开发", "委托开发", "技术开发", "技术服务", "可技术"),
    }
)


def telling_words(text: str, limit: int = 8) -> list[str]:
    """The most specific words of ``text``: no stop or generic words, longest first."""
    found = [w for w in dict.fromkeys(words(text)) if len(w) >= 2 and w not in GENERIC]
    return sorted(found, key=len, reverse=True)[:limit]


def any_term_query(text: str, limit: int = 5) -> str | None:
    """A query matching records that share any of the ``limit`` most telling words of
    ``text`` (few and specific, so the candidates are few and relevant)."""
    return " | ".join(_quote(w) for w in telling_words(text, limit)) or None
