#!/usr/bin/env python3
"""The initial-load scenario of scripts/load-test.sh (docs/benchmarks.md).

Against one running syncd (its PID, for RSS): seeds one tenant with N
entities of ~400-byte payloads, then measures, each from a cold state
(nothing of that kind was asked for since the last change):

  full         request_initial_data, time to the last byte of the answer
  paged        the same with page_size 1000 (syncd without pages: one message)
  incremental  after 100 changes, with `since` = the full load's cursor
               (syncd without cursors answers a full load: what a client of
               it must fetch)
  3 at once    then three full loads asked at once on three connections (the
               web frontend asks three times when it connects): time until
               the last of them has its last byte

and, for full and paged, syncd's RSS growth during the load: the peak
(VmHWM, reset through /proc/PID/clear_refs just before, and a 1 ms sampler)
minus VmRSS before. Prints one line per measurement:

  ROW|<label>|<what>|<ms>|<bytes>|<messages>|<rss growth or ->|<anon growth or ->

Standard library only (a minimal RFC 6455 client): the benchmark must not
need anything the machine lacks. Loopback only.
"""
import argparse
import base64
import os
import re
import socket
import struct
import sys
import threading
import time


class Ws:
    """A blocking WebSocket client: text frames out (masked), frames in."""

    def __init__(self, host, port, path):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = bytearray()
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed during the upgrade")
            self.buf += chunk
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("upgrade refused: " + head.split(b"\r\n")[0].decode())
        self.buf = bytearray(rest)

    def send(self, text, opcode=0x1):
        data = text.encode() if isinstance(text, str) else text
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        # XOR through a big integer: fast enough for megabytes.
        width = len(data)
        repeated = (mask * (width // 4 + 1))[:width]
        masked = (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
            width, "big") if width else b""
        self.sock.sendall(header + mask + masked)

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk

    def recv(self):
        """The next message's bytes, fragments joined (answers pings on the way)."""
        parts = []
        while True:
            self._fill(2)
            b0, b1 = self.buf[0], self.buf[1]
            n, at = b1 & 0x7F, 2
            if n == 126:
                self._fill(4)
                n, at = struct.unpack_from("!H", self.buf, 2)[0], 4
            elif n == 127:
                self._fill(10)
                n, at = struct.unpack_from("!Q", self.buf, 2)[0], 10
            self._fill(at + n)
            payload = bytes(self.buf[at:at + n])
            del self.buf[:at + n]
            opcode = b0 & 0x0F
            if opcode == 0x9:
                self.send(payload, opcode=0xA)
                continue
            if opcode == 0x8:
                raise RuntimeError("server closed the connection")
            if opcode in (0x0, 0x1, 0x2):
                parts.append(payload)
                if b0 & 0x80:  # FIN
                    return parts[0] if len(parts) == 1 else b"".join(parts)


def rss_bytes(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def rss_fields(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon"):
                out[key] = int(line.split()[1]) * 1024
    return out


class RssPeak:
    """Peak RSS of `pid` while in the with-block: VmHWM after a reset, or
    (when the reset is not allowed) the highest of 1 ms samples."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        self.before = rss_bytes(self.pid)
        self.anon_before = rss_bytes(self.pid, "RssAnon")
        self.anon_peak = self.anon_before
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            self.hwm = True
        except OSError:
            self.hwm = False
        self.peak = self.before
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            now = rss_fields(self.pid)
            self.peak = max(self.peak, now.get("VmRSS", 0))
            self.anon_peak = max(self.anon_peak, now.get("RssAnon", 0))
            time.sleep(0.001)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        if self.hwm:
            self.peak = max(self.peak, rss_bytes(self.pid, "VmHWM"))
        self.growth = max(0, self.peak - self.before)
        # Heap only (RssAnon, sampled): without the database file's pages
        # that the read maps in (SQLite mmap), which the kernel can drop.
        self.anon_growth = max(0, self.anon_peak - self.anon_before)


CURSOR = re.compile(rb'"cursor":"([^"]*)"')


def load(ws, request):
    """Sends `request` (None: sent already); reads initial_data_load
    messages to the last one.
    Returns (seconds to the last byte, bytes, messages, cursor or None)."""
    t0 = time.perf_counter()
    if request is not None:
        ws.send(request)
    total = messages = 0
    cursor = None
    while True:
        frame = ws.recv()
        if not frame.startswith(b'{"type":"initial_data_load"'):
            if frame.startswith(b'{"type":"error"'):
                raise RuntimeError(frame[:200].decode())
            continue
        total += len(frame)
        messages += 1
        tail = frame[-300:]
        if cursor is None:
            m = CURSOR.search(tail)
            cursor = m.group(1).decode() if m else None
        if b'"last_page":false' not in tail:
            return time.perf_counter() - t0, total, messages, cursor


def seed(ws, tenant, n, first_version):
    """n Account creates (each payload ~400 bytes), in batches of 1000 with
    at most 20 batches unanswered; returns when every entry is answered."""
    pad = "x" * 330
    sent = answered = 0
    nacks = 0
    while answered < n:
        while sent < n and sent - answered < 20000:
            entries = []
            for i in range(sent, min(n, sent + 1000)):
                payload = '{"name":"Account %d","accountGroupId":"g1","note":"%s","n":%d}' % (
                    i, pad, i)
                entries.append(
                    '{"id":"seed-%d","tenantId":"%s","entityType":"Account","entityId":"a%d",'
                    '"operationType":"create","payload":%s,"timestamp":%d}'
                    % (i, tenant, i, payload, first_version + i))
            ws.send('{"type":"process_sync_batch","entries":[' + ",".join(entries) + "]}")
            sent += len(entries)
        frame = ws.recv()
        if frame.startswith(b'{"type":"sync_ack"'):
            answered += 1
        elif frame.startswith(b'{"type":"sync_nack"'):
            answered += 1
            nacks += 1
    if nacks:
        raise RuntimeError(f"{nacks} entries were refused while seeding")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ws-port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--entities", type=int, default=100000)
    p.add_argument("--changes", type=int, default=100)
    p.add_argument("--page-size", type=int, default=1000)
    a = p.parse_args()
    tenant = "bench-load"
    ws = Ws("127.0.0.1", a.ws_port, "/ws/" + tenant)
    ws.recv()  # status online
    version = 1764130000000
    seed(ws, tenant, a.entities, version)

    def row(what, seconds, size, messages, rss=None):
        growth = f"{rss.growth}|{rss.anon_growth}" if rss is not None else "-|-"
        print(f"ROW|{a.label}|{what}|{seconds * 1000:.1f}|{size}|{messages}|{growth}", flush=True)

    request = '{"type":"request_initial_data","tenant_id":"%s"%s}'
    with RssPeak(a.pid) as rss:
        seconds, size, messages, cursor = load(ws, request % (tenant, ""))
    row("full", seconds, size, messages, rss)
    with RssPeak(a.pid) as rss:
        seconds, size, messages, _ = load(ws, request % (tenant, ',"page_size":%d' % a.page_size))
    row("paged", seconds, size, messages, rss)

    changes = []
    for i in range(a.changes):
        changes.append(
            '{"id":"change-%d","tenantId":"%s","entityType":"Account","entityId":"a%d",'
            '"operationType":"update","payload":{"name":"Changed %d","accountGroupId":"g1"},'
            '"timestamp":%d}' % (i, tenant, i * 997 % a.entities, i, version + a.entities + i))
    ws.send('{"type":"process_sync_batch","entries":[' + ",".join(changes) + "]}")
    answered = 0
    while answered < a.changes:
        frame = ws.recv()
        if frame.startswith(b'{"type":"sync_'):
            answered += 1
    since = ',"since":"%s"' % cursor if cursor else ""
    seconds, size, messages, _ = load(ws, request % (tenant, since))
    row("incremental" if cursor else "incremental (full reload)", seconds, size, messages)

    others = []
    for _ in range(3):
        other = Ws("127.0.0.1", a.ws_port, "/ws/" + tenant)
        other.recv()  # status online
        others.append(other)
    with RssPeak(a.pid) as rss:
        t0 = time.perf_counter()
        for other in others:
            other.send(request % (tenant, ""))
        size = messages = 0
        for other in others:
            _, n, m, _ = load(other, None)
            size += n
            messages += m
        seconds = time.perf_counter() - t0
    row("3 at once (full)", seconds, size, messages, rss)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for the calling script
        print(f"initial_load_bench: {e}", file=sys.stderr)
        sys.exit(1)
