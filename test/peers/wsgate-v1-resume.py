"""Resume, by a wsgate.v1 client written from docs/protocol.md alone (stdlib + websockets), against /r.

The route subscribes every connection to the topic "room" (with history); a `msg` is published to the
topic, and the `msg` "away" closes the connection with 1012, after which the server publishes "c" and "d".
The client keeps the {e, o} of the last `pub` it saw (section 4) and presents it in its next `hello`
(section 3). Prints one JSON object.
"""
import asyncio
import json
import sys

import websockets


async def frame(ws):
    return json.loads(await ws.recv())


async def main(base):
    url = base + "/r"
    out = {}
    ws = await websockets.connect(url, subprotocols=["wsgate.v1"])
    await ws.send(json.dumps({"t": "hello"}))
    sub = await frame(ws)
    out["sub"] = {k: sub[k] for k in ("t", "topic") if k in sub} | {"has_position": "e" in sub and "o" in sub}
    last = {"e": sub["e"], "o": sub["o"]}
    await ws.send(json.dumps({"t": "msg", "d": "a"}))
    await ws.send(json.dumps({"t": "msg", "d": "b"}))
    first = []
    while len(first) < 2:
        f = await frame(ws)
        if f["t"] == "pub":
            first.append([f["d"], f["o"] - sub["o"]])
            last = {"e": f["e"], "o": f["o"]}  # the last position seen, for the next hello
    out["first"] = first
    await ws.send(json.dumps({"t": "msg", "d": "away"}))
    try:
        while True:
            await ws.recv()
    except websockets.ConnectionClosed as closed:
        out["close"] = closed.code
    ws = await websockets.connect(url, subprotocols=["wsgate.v1"])
    await ws.send(json.dumps({"t": "hello", "topics": {"room": last}}))
    resumed = await frame(ws)
    out["resumed"] = [resumed["t"], resumed.get("resumed"), resumed.get("o") == last["o"]]
    replayed = []
    while len(replayed) < 2:
        f = await frame(ws)
        if f["t"] == "pub":
            replayed.append([f["d"], f["o"] - last["o"]])
    out["replayed"] = replayed
    await ws.close()
    print(json.dumps(out))


asyncio.run(main(sys.argv[1]))
