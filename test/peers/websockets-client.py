"""Independent peer: the Python `websockets` library (not built on ws) as a client of an echo route.

Usage: websockets-client.py WS_BASE_URL
Prints one JSON object describing what it observed; the conformance suite asserts on it.
Routes expected: /echo (echo), /proto (protocols chat, superchat), /deflate (perMessageDeflate on).
"""

import asyncio
import json
import sys

import websockets


def names(ws):
    return [e.name for e in ws.extensions]


async def run(base):
    out = {}
    async with websockets.connect(base + "/echo", max_size=None) as ws:
        # The client offers permessage-deflate by default; a route with it off must decline.
        out["extensions"] = names(ws)
        await ws.send("héllo wörld")
        out["text"] = await ws.recv()
        await ws.send(bytes([0, 1, 254, 255]))
        reply = await ws.recv()
        out["binary"] = reply.hex() if isinstance(reply, bytes) else ["not bytes", reply]
        # An iterable is sent as a fragmented message, one frame per item.
        await ws.send(["frag", "men", "téd"])
        out["fragmented_text"] = await ws.recv()
        await ws.send([b"\x01\x02", b"", b"\x03"])
        reply = await ws.recv()
        out["fragmented_binary"] = reply.hex() if isinstance(reply, bytes) else ["not bytes", reply]
        big = "0123456789" * 20000
        await ws.send(big)
        out["large_ok"] = (await ws.recv()) == big
        # The pong must carry the ping's payload; websockets matches it before resolving the waiter.
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        out["ping"] = "pong"
        await ws.close(code=4000, reason="bye from websockets")
        out["close"] = [ws.close_code, ws.close_reason]
    async with websockets.connect(base + "/echo") as ws:
        await ws.close(code=1000)
        out["close_normal"] = [ws.close_code, ws.close_reason]
    async with websockets.connect(base + "/proto", subprotocols=["nope", "superchat", "chat"]) as ws:
        out["subprotocol"] = ws.subprotocol
    async with websockets.connect(base + "/deflate", max_size=None) as ws:
        out["deflate_extensions"] = names(ws)
        text = "compress me " * 5000
        await ws.send(text)
        out["deflate_text_ok"] = (await ws.recv()) == text
        await ws.send(["déflate ", "in ", "fragments"])
        out["deflate_fragmented"] = await ws.recv()
        await ws.close(code=4001, reason="deflate bye")
        out["deflate_close"] = [ws.close_code, ws.close_reason]
    return out


def main():
    try:
        result = asyncio.run(asyncio.wait_for(run(sys.argv[1]), 20))
    except Exception as err:  # report, do not hang: the suite prints it
        print(json.dumps({"error": f"{type(err).__name__}: {err}"}))
        sys.exit(1)
    print(json.dumps(result))


main()
