"""The query language's own error: MalformedQueryException, with where in the query it lies."""

from __future__ import annotations

from overcast.protocol.errors import ServiceError


class MalformedQuery(ServiceError):
    """A query string that does not compile. AWS answers 400 MalformedQueryException, its
    message the compiler's (ANTLR's "mismatched input 'count' expecting {...}", quoted in
    boto/boto3#3450 and grafana/grafana#24975), and a queryCompileError member whose location
    gives the offending characters' offsets (API_QueryCompileError)."""

    code = "MalformedQueryException"
    status = 400

    def __init__(self, message: str, start: int, end: int):
        super().__init__(message, queryCompileError={"location": {"startCharOffset": start, "endCharOffset": end},
                                                     "message": message})
        self.start, self.end = start, end
