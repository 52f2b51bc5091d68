"""The Runtime API server hands an invocation to a parked /next only while that connection can
still carry it: one whose client hung up (closed, connection_lost not yet run) is passed over and
the invocation waits for the runtime's next /next."""

from __future__ import annotations

import asyncio

from overcast.services.lambda_.runtime.api_server import RuntimeApiServer
from overcast.services.lambda_.runtime.invocation import Invocation

NEXT = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n"


class Environment:
    """The side of the server an execution environment implements: here it only records."""

    def __init__(self) -> None:
        self.delivered: list[str] = []

    def runtime_waiting(self) -> None:
        pass

    def invocation_delivered(self, inv: Invocation) -> None:
        self.delivered.append(inv.request_id)

    def peak_memory_reported(self, kib: int) -> None:
        pass

    def invocation_response(self, request_id: str, body: bytes) -> bool:
        return True

    def invocation_error(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        return True

    def init_error(self, body: bytes, error_type: str | None) -> None:
        pass

    def response_too_large(self, request_id: str, size: int) -> bool:
        return True


def test_an_invocation_skips_a_parked_next_whose_connection_is_closing():
    async def main() -> bytes:
        environment = Environment()
        server = RuntimeApiServer(environment)
        port = await server.start()
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(NEXT)
            await writer.drain()
            while server.waiting == 0:
                await asyncio.sleep(0.005)
            parked = next(iter(server.connections))
            # The client hangs up and, in the same loop pass (before connection_lost runs), an
            # invoke arrives.
            parked.close()
            server.deliver(Invocation("req-1", b"{}", "arn:aws:lambda:us-east-1:000000000000:function:f", 3.0))
            assert environment.delivered == []
            reader, writer2 = await asyncio.open_connection("127.0.0.1", port)
            writer2.write(NEXT)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.close()
            writer2.close()
            assert environment.delivered == ["req-1"]
            return head
        finally:
            server.close()

    head = asyncio.run(main())
    assert b"Lambda-Runtime-Aws-Request-Id: req-1\r\n" in head
