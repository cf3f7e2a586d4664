#!/usr/bin/env python3
"""A minimal SMTP sink for `recur campaign send` timings: accepts every message, counts them,
answers at once (TCP_NODELAY). Prints the count when stopped with Ctrl-C.

    python3 scripts/bench/smtp_sink.py --port 2525
"""
import argparse
import asyncio
import socket

count = 0


async def handle(reader, writer):
    global count
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    writer.write(b"220 sink ESMTP\r\n")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
            writer.write(b"250-sink\r\n250 OK\r\n")
        elif cmd == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            while True:
                data = await reader.readline()
                if not data or data == b".\r\n":
                    break
            count += 1
            writer.write(b"250 queued\r\n")
        elif cmd == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=2525)
    a = ap.parse_args()
    try:
        asyncio.run(main(a.port))
    except KeyboardInterrupt:
        print(f"received {count} messages")
