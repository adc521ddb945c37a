"""Independent peer: aiohttp's WebSocket client (not built on ws) against an echo route.

Usage: aiohttp-client.py WS_BASE_URL
Prints one JSON object describing what it observed; the conformance suite asserts on it.
Routes expected: /echo (echo), /proto (protocols chat, superchat), /deflate (perMessageDeflate on).
"""

import asyncio
import json
import sys

import aiohttp
from aiohttp import WSMsgType


async def receive(ws):
    msg = await ws.receive(timeout=5)
    return [msg.type.name, bytes(msg.data).hex() if isinstance(msg.data, (bytes, bytearray)) else msg.data]


async def run(base):
    out = {}
    async with aiohttp.ClientSession() as http:
        # autoping off so the pong reaches us and its payload can be checked.
        async with http.ws_connect(base + "/echo", autoping=False, compress=15, max_msg_size=0) as ws:
            out["compress"] = ws.compress
            await ws.send_str("héllo wörld")
            out["text"] = await receive(ws)
            await ws.send_bytes(bytes([0, 1, 254, 255]))
            out["binary"] = await receive(ws)
            big = "0123456789" * 20000
            await ws.send_str(big)
            msg = await ws.receive(timeout=5)
            out["large_ok"] = msg.type == WSMsgType.TEXT and msg.data == big
            await ws.ping(b"are you there")
            out["pong"] = await receive(ws)
            await ws.close(code=4002, message=b"bye from aiohttp")
            out["close"] = ws.close_code
        async with http.ws_connect(base + "/proto", protocols=("nope", "superchat", "chat")) as ws:
            out["subprotocol"] = ws.protocol
        async with http.ws_connect(base + "/deflate", compress=15, max_msg_size=0) as ws:
            out["deflate_compress"] = ws.compress
            text = "compress me " * 5000
            await ws.send_str(text)
            msg = await ws.receive(timeout=5)
            out["deflate_text_ok"] = msg.type == WSMsgType.TEXT and msg.data == text
            await ws.send_bytes(b"\x00" * 70000)
            msg = await ws.receive(timeout=5)
            out["deflate_binary_ok"] = msg.type == WSMsgType.BINARY and msg.data == b"\x00" * 70000
            await ws.close(code=1000)
            out["deflate_close"] = ws.close_code
    return out


def main():
    try:
        result = asyncio.run(asyncio.wait_for(run(sys.argv[1]), 20))
    except Exception as err:  # report, do not hang: the suite prints it
        print(json.dumps({"error": f"{type(err).__name__}: {err!r}"}))
        sys.exit(1)
    print(json.dumps(result))


main()
