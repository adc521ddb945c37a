"""A wsgate.v1 client written from docs/protocol.md alone (stdlib + websockets), against the /v1 route.

The server route echoes `msg` frames, answers requests {"op": "double", "n": N} with 2N, asks the client
one request after the first message, and closes the first connection with 1012. Prints one JSON object.
"""
import asyncio
import base64
import json
import sys

import websockets


async def main(base):
    url = base + "/v1"
    out = {}
    ws = await websockets.connect(url, subprotocols=["wsgate.v1"])
    out["subprotocol"] = ws.subprotocol
    await ws.send(json.dumps({"t": "hello"}))  # section 3: hello first
    await ws.send(json.dumps({"t": "ping", "id": 1}))
    out["pong"] = json.loads(await ws.recv())
    await ws.send(json.dumps({"t": "msg", "d": "héllo"}))
    await ws.send(json.dumps({"t": "msg", "d": base64.b64encode(bytes([0, 1, 254])).decode(), "b": 1}))
    await ws.send(json.dumps({"t": "req", "id": 1, "d": {"op": "double", "n": 21}}))
    got = []
    while len(got) < 4:
        frame = json.loads(await ws.recv())
        if frame["t"] == "req":  # section 4: the server asks; answer with res and the same id
            await ws.send(json.dumps({"t": "res", "id": frame["id"], "d": {"python": frame["d"]}}))
            got.append(["req", frame["d"]])
        elif frame["t"] == "msg" and frame.get("b") == 1:
            got.append(["bytes", base64.b64decode(frame["d"]).hex()])
        else:
            got.append([frame["t"], frame.get("d")])
    out["frames"] = sorted(got, key=json.dumps)
    await ws.send(json.dumps({"t": "msg", "d": "restart me"}))
    try:
        await ws.recv()
    except websockets.ConnectionClosed as closed:
        out["close"] = [closed.code, closed.reason]  # section 7: 1012 means reconnect
    ws = await websockets.connect(url, subprotocols=["wsgate.v1"])
    await ws.send(json.dumps({"t": "hello", "topics": {"room:1": {"e": "Kx7", "o": 42}}}))
    await ws.send(json.dumps({"t": "req", "id": 1, "d": {"op": "double", "n": 4}}))
    out["after_reconnect"] = json.loads(await ws.recv())
    await ws.close()
    print(json.dumps(out))


asyncio.run(main(sys.argv[1]))
