"""Why an Invoke payload is not JSON, in the words of the Java parser (Jackson 2.x) Lambda reads
it with.

The case users meet most: the AWS CLI v2 reads --payload as base64 unless told
`--cli-binary-format raw-in-base64-out`, so '{ "key": "value" }' reaches Lambda as the bytes
base64 makes of "keyvalue", and Lambda answers (as users quote it)

    Could not parse request body into json: Could not parse payload into json: Unexpected
    character ((CTRL-CHAR, code 145)): expected a valid value (JSON String, Number, Array, Object
    or token 'null', 'true' or 'false')
     at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1]

(users of older days quote `[Source: (byte[])"..."; line: 1, column: 2]`: Jackson 2.16 redacts the
document and points at the offending character itself).

Worded here as Jackson words them: a fault before or at the start of the first value (a control
character, a comment, a close marker, an unexpected character, a word that is not a literal,
NaN or Infinity, bytes that are no UTF-8). A document that starts well and breaks later keeps
Python's description of the fault, after the same prefix.
"""

from __future__ import annotations

import unicodedata

PREFIX = "Could not parse request body into json: Could not parse payload into json: "
_VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_TOKEN_CHARS = 256  # and at most this much of an unrecognized word
_BOM = b"\xef\xbb\xbf"


def non_standard_token(name: str) -> str:
    return f"Non-standard token '{name}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow"


def payload_error(payload: bytes, python_reason: str) -> str:
    """The message of the InvalidRequestContentException for a payload json.loads refused."""
    scan = _Scan(payload)
    reason = scan.first_value_fault()
    if reason is None:
        return PREFIX + python_reason
    return PREFIX + reason + "\n at " + scan.location()


class _Utf8Fault(Exception):
    pass


class _Scan:
    """Jackson's UTF8StreamJsonParser up to its first value: where it stops, and what it says."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        # The BOM is skipped before parsing starts; columns count from after it.
        self.pos = self.row_start = len(_BOM) if payload.startswith(_BOM) else 0
        self.line = 1

    def location(self) -> str:
        """Where the fault is: the column of the character that broke the parse (Jackson 2.16 on,
        which Lambda runs now: LocalStack's AWS-validated test_lambda_invoke_payload_encoding_error,
        recorded in 2025, gives column 1 for a control character first; older Jackson said 2)."""
        return self._location(self.line, self.pos - self.row_start)

    @staticmethod
    def _location(line: int, column: int) -> str:
        # The document itself is left out of the location (Jackson 2.16's default, as Lambda answers).
        return (f"[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); "
                f"line: {line}, column: {column}]")

    def _next(self) -> int:
        byte = self.payload[self.pos]
        self.pos += 1
        return byte

    def first_value_fault(self) -> str | None:
        payload = self.payload
        while self.pos < len(payload):
            byte = self._next()
            if byte in (0x20, 0x09):
                continue
            if byte == 0x0A or byte == 0x0D:
                if byte == 0x0D and self.pos < len(payload) and payload[self.pos] == 0x0A:
                    self.pos += 1  # \r\n is one line end; a lone \r is one too
                self.line += 1
                self.row_start = self.pos
                continue
            if byte == ord("/"):
                return ("Unexpected character ('/' (code 47)): maybe a (non-standard) comment? (not recognized as "
                        "one since Feature 'ALLOW_COMMENTS' not enabled for parser)")
            if byte < 0x20:
                return (f"Illegal character ({_describe(byte)}): only regular white space (\\r, \\n, \\t) is allowed "
                        "between tokens")
            return self._value_start(byte)
        return None  # nothing but white space: Python's words

    def _value_start(self, byte: int) -> str | None:
        start = self.pos - 1
        if byte in b'{["0123456789+-':
            return None  # a value starts well (or a sign Python describes as well): the fault is further on
        if byte == ord("}"):
            return f"Unexpected close marker '}}': expected ']' (for root starting at {self._location(1, 0)})"
        if byte == ord("]"):
            return f"Unexpected close marker ']': expected '}}' (for root starting at {self._location(1, 0)})"
        if byte == ord(","):
            return f"Unexpected character ({_describe(byte)}): expected a value"
        for literal, answer in (("true", None), ("false", None), ("null", None),
                                ("NaN", non_standard_token("NaN")), ("Infinity", non_standard_token("Infinity"))):
            if self._literal_at(start, literal):
                self.pos = start + len(literal)
                return answer
        if not _identifier_start(chr(byte)):
            return f"Unexpected character ({_describe(byte)}): expected a valid value {_VALID_VALUES}"
        try:
            word = self._word(chr(byte))
        except _Utf8Fault as fault:
            return str(fault)
        return f"Unrecognized token '{word}': was expecting {_VALID_VALUES}"

    def _literal_at(self, start: int, literal: str) -> bool:
        """Jackson's _matchToken: the literal, not followed by a character that would continue it
        (it looks only at characters from '0' up)."""
        end = start + len(literal)
        if not self.payload.startswith(literal.encode(), start):
            return False
        if end < len(self.payload):
            following = self.payload[end]
            if following >= ord("0") and following not in b"]}" and _identifier_part(chr(following)):
                return False
        return True

    def _word(self, first: str) -> str:
        """_reportInvalidToken: reads on while characters could continue an identifier (decoding
        UTF-8 as it goes), consuming the one that ends the word too."""
        word = first
        while self.pos < len(self.payload):
            char = self._decode_for_error(self._next())
            if not _identifier_part(char):
                break
            word += char
            if len(word) >= _TOKEN_CHARS:
                return word + "..."
        return word

    def _decode_for_error(self, byte: int) -> str:
        if byte < 0x80:
            return chr(byte)
        if byte & 0xE0 == 0xC0:
            value, needed = byte & 0x1F, 1
        elif byte & 0xF0 == 0xE0:
            value, needed = byte & 0x0F, 2
        elif byte & 0xF8 == 0xF0:
            value, needed = byte & 0x07, 3
        else:
            raise _Utf8Fault(f"Invalid UTF-8 start byte 0x{byte:x}")
        for _ in range(needed):
            if self.pos >= len(self.payload):
                raise _Utf8Fault("Unexpected end-of-input in character escape sequence")
            following = self._next()
            if following & 0xC0 != 0x80:
                raise _Utf8Fault(f"Invalid UTF-8 middle byte 0x{following:x}")
            value = value << 6 | following & 0x3F
        return chr(value & 0xFFFF)  # Java keeps a char: 16 bits


def _identifier_start(char: str) -> bool:
    """Java's Character.isJavaIdentifierStart."""
    return unicodedata.category(char) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Sc", "Pc")


def _identifier_part(char: str) -> bool:
    """Java's Character.isJavaIdentifierPart: a start, a digit or mark, or a character it
    ignores there (most control characters, format characters)."""
    code = ord(char)
    if code <= 0x08 or 0x0E <= code <= 0x1B or 0x7F <= code <= 0x9F:
        return True
    return _identifier_start(char) or unicodedata.category(char) in ("Nd", "Mn", "Mc", "Cf")


def _describe(byte: int) -> str:
    """Jackson's description of a character: control characters by code, others quoted."""
    if byte < 0x20 or 0x7F <= byte <= 0x9F:
        return f"(CTRL-CHAR, code {byte})"
    return f"'{chr(byte)}' (code {byte})"
