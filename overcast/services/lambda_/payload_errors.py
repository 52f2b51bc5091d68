"""Why an Invoke payload is not JSON, in the words of the Java parser (Jackson) Lambda reads it with.

The case users meet most: the AWS CLI v2 reads --payload as base64 unless told
`--cli-binary-format raw-in-base64-out`, so '{ "key": "value" }' reaches Lambda as the bytes
base64 makes of "keyvalue", and Lambda answers (as users quote it)

    Could not parse request body into json: Could not parse payload into json: Unexpected
    character ((CTRL-CHAR, code 145)): expected a valid value (JSON String, Number, Array, Object
    or token 'null', 'true' or 'false')
     at [Source: (byte[])"��j[�"; line: 1, column: 2]

Worded here as Jackson words them: a document whose first value cannot start (an unexpected
character, or a word that is not true, false or null). A document that starts well and breaks
later keeps Python's description of the fault, after the same prefix.
"""

from __future__ import annotations

import unicodedata

PREFIX = "Could not parse request body into json: Could not parse payload into json: "
_VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_SNIPPET_BYTES = 500  # Jackson quotes at most this much of the document
_WHITESPACE = b" \t\r\n"
_VALUE_STARTS = b'{["-0123456789'
_LITERALS = (b"true", b"false", b"null")


def payload_error(payload: bytes, python_reason: str) -> str:
    """The message of the InvalidRequestContentException for a payload json.loads refused."""
    start = 0
    while start < len(payload) and payload[start] in _WHITESPACE:
        start += 1
    if start == len(payload):
        return PREFIX + python_reason
    first = payload[start]
    if first in _VALUE_STARTS or any(_starts_literal(payload, start, word) for word in _LITERALS):
        return PREFIX + python_reason  # the fault is further on
    if first == ord("}"):
        reason, end = f"Unexpected character ({_describe(first)}): expected a value", start + 1
    elif _identifier_start(first):
        token, end = _token(payload, start)
        reason = f"Unrecognized token '{token}': was expecting {_VALID_VALUES}"
    else:
        reason, end = f"Unexpected character ({_describe(first)}): expected a valid value {_VALID_VALUES}", start + 1
    return PREFIX + reason + "\n at " + _location(payload, end)


def _starts_literal(payload: bytes, start: int, word: bytes) -> bool:
    after = start + len(word)
    return payload.startswith(word, start) and (after == len(payload) or not _identifier_part(payload[after]))


def _identifier_start(byte: int) -> bool:
    # Java's Character.isJavaIdentifierStart on the byte read as a character (Jackson looks at
    # one byte here, so a UTF-8 lead byte counts as the Latin-1 letter it would be).
    char = chr(byte)
    return char.isalpha() or char in "_$" or unicodedata.category(char) in ("Sc", "Pc")


def _identifier_part(byte: int) -> bool:
    # Java's Character.isJavaIdentifierPart: a start, a digit, or a character it ignores there
    # (most control characters).
    ignorable = byte <= 0x08 or 0x0E <= byte <= 0x1B or 0x7F <= byte <= 0x9F
    return _identifier_start(byte) or chr(byte).isdigit() or ignorable


def _token(payload: bytes, start: int) -> tuple[str, int]:
    """The word Jackson quotes and where it stopped: it reads on while the characters could
    continue an identifier, and consumes the one that ends the word too."""
    end = start + 1
    word_end = end
    while end < len(payload):
        byte = payload[end]
        end += 1
        if byte >= 0x80 or not _identifier_part(byte):  # a multi-byte character ends it here
            break
        word_end = end
    return payload[start:word_end].decode("latin-1"), end


def _describe(byte: int) -> str:
    """Jackson's description of a character: control characters by code, others quoted."""
    char = chr(byte)
    if byte < 0x20 or 0x7F <= byte <= 0x9F:
        return f"(CTRL-CHAR, code {byte})"
    return f"'{char}' (code {byte})"


def _location(payload: bytes, consumed: int) -> str:
    """'[Source: (byte[])"..."; line: L, column: C]': the column is the one after what was read."""
    line = payload.count(b"\n", 0, consumed) + 1
    row_start = payload.rfind(b"\n", 0, consumed) + 1
    snippet = payload[:_SNIPPET_BYTES].decode("utf-8", "replace")
    truncated = len(payload) - _SNIPPET_BYTES
    more = f"[truncated {truncated} bytes]" if truncated > 0 else ""
    return f'[Source: (byte[])"{snippet}"{more}; line: {line}, column: {consumed - row_start + 1}]'
