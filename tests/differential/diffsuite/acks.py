"""Every ack a copy sends on its NATS server, as it goes by.

JetStream's consumer state (ack floor, pending counts) depends on which stream sequence holds
which image, and Antenna publishes a job's tasks concurrently, so the two copies' streams may
order the same images differently. What must agree is which image's task got which answer: a
plain subscriber on `$JS.ACK.>` sees every +ACK/+NAK/+TERM/+WPI published to a task's reply
subject (Antenna publishes them; the binary sends them as requests), whether or not the
consumer still exists.
"""
import asyncio
import threading

import nats


class AckObserver:
    def __init__(self, url: str):
        self.url = url
        self._seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"could not subscribe to acks on {url}")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._subscribe())
        self._loop.run_forever()

    async def _subscribe(self) -> None:
        self._nc = await nats.connect(self.url)

        async def on_ack(msg):
            kind = msg.data.decode(errors="replace").split(" ", 1)[0] or "+ACK"
            with self._lock:
                self._seen.append((msg.subject, kind))

        await self._nc.subscribe("$JS.ACK.>", cb=on_ack)
        await self._nc.flush()
        self._ready.set()

    def take(self) -> list[tuple[str, str]]:
        """Acks seen since the last call, after a round trip that makes sure earlier ones arrived."""
        asyncio.run_coroutine_threadsafe(self._nc.flush(), self._loop).result(10)
        with self._lock:
            seen, self._seen = self._seen, []
        return seen

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._nc.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
