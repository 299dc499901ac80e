"""An SMTP server that accepts every mail and keeps none: scenario 3's mail relay.

Notifications sends its emails during the journey, as it would in production; without a
server to take them it would spend the benchmark retrying deliveries and logging failures.
"""

import argparse
import asyncio
import signal
import sys

from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.accepted += 1
        return "250 Message accepted"


async def main(port: int) -> None:
    sink = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink), "127.0.0.1", port)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    sys.stdout.write(f"smtp sink: {sink.accepted} mails accepted\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
