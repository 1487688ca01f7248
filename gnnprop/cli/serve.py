"""``gnnprop explore --serve``: the page on loopback, for a browser, until Ctrl-C.

Only the one file is served (``/``), only on 127.0.0.1; nothing else of the file system is
reachable through it, and it answers no other method than GET and HEAD.
"""

from __future__ import annotations

import http.server
import threading
import webbrowser
from typing import IO


def serve_file(path: str, port: int, err: IO) -> None:
    """Serve ``path`` at http://127.0.0.1:PORT/ and open a browser on it; return on Ctrl-C."""
    with open(path, "rb") as f:
        body = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self._answer(True)

        def do_HEAD(self):  # noqa: N802
            self._answer(False)

        def _answer(self, with_body: bool) -> None:
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404, "only / is served")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, format, *args):  # no request log on stderr
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    err.write(f"gnnprop: serving {path} at {url} (loopback only; Ctrl-C stops)\n")
    err.flush()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        webbrowser.open(url)
        thread.join()
    except KeyboardInterrupt:
        err.write("gnnprop: stopped serving\n")
    finally:
        server.shutdown()
        server.server_close()
