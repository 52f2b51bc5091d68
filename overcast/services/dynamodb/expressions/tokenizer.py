"""Splits an expression into tokens that remember where they were (for 'near: ...' messages)."""

from __future__ import annotations

from dataclasses import dataclass

from overcast.services.dynamodb.errors import ValidationException

_PUNCT2 = ("<>", "<=", ">=")
_PUNCT1 = "=<>(),.[]+-"


@dataclass(slots=True)
class Token:
    kind: str  # "name", "#name", ":value", "number", "punct", "eof"
    text: str
    start: int
    end: int


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def tokenize(text: str, label: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c in "#:":
            i += 1
            while i < n and _word_char(text[i]):
                i += 1
            if i == start + 1:
                _bad(text, label, start, i + 1 if i < n else i)
            tokens.append(Token("#name" if c == "#" else ":value", text[start:i], start, i))
        elif c.isdigit():
            while i < n and text[i].isdigit():
                i += 1
            tokens.append(Token("number", text[start:i], start, i))
        elif c.isalpha() or c == "_":
            while i < n and _word_char(text[i]):
                i += 1
            tokens.append(Token("name", text[start:i], start, i))
        elif text.startswith(_PUNCT2, i):
            i += 2
            tokens.append(Token("punct", text[start:i], start, i))
        elif c in _PUNCT1:
            i += 1
            tokens.append(Token("punct", c, start, i))
        else:
            _bad(text, label, start, start + 1)
    tokens.append(Token("eof", "<EOF>", n, n))
    return tokens


def _bad(text: str, label: str, start: int, end: int) -> None:
    token = text[start:end]
    # A character the language has no token for: DynamoDB calls it a syntax error too
    # (paritysuite transactGetItems.test.ts: "!!!" gives token "!", near "!!").
    raise ValidationException(f'Invalid {label}: Syntax error; token: "{token}", near: "{text[max(0, start - 1):end + 1].strip()}"')


def syntax_error(text: str, label: str, tokens: list[Token], index: int) -> ValidationException:
    """DynamoDB's message names the bad token and the text from the token before it to the one after."""
    token = tokens[index]
    begin = tokens[index - 1].start if index > 0 else token.start
    if token.kind == "eof":
        near = text[begin:]
        shown = "<EOF>"
    else:
        finish = tokens[index + 1].end if tokens[index + 1].kind != "eof" else token.end
        near = text[begin:finish]
        shown = token.text
    return ValidationException(f'Invalid {label}: Syntax error; token: "{shown}", near: "{near}"')
