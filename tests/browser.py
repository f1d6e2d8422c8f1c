"""A real headless Chromium for the document tests, driven over the DevTools protocol.

Chromium is started once per test session with ``--remote-debugging-pipe``: commands go to it
on file descriptor 3 and answers come back on descriptor 4, as NUL-terminated JSON. That needs
no WebSocket client and no port. Each page is opened in a fresh tab; the tab records every
console message, uncaught exception, network request and JavaScript dialog while the page
loads, then the accessibility checks of ``tests/accessibility.js`` run in the page and a
screenshot is taken.

Chromium is started with the switches that keep it off the network (the machine's network is
closed, and Chromium otherwise tries to reach Google's services at every start) and with a
fresh profile folder.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCESSIBILITY_SCRIPT = Path(__file__).with_name("accessibility.js")
SWITCHES = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
COMMAND_TIMEOUT = 60.0


def chromium_binary() -> str | None:
    """The Chromium on this machine (Debian's package installs /usr/bin/chromium), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    """What happened while one page loaded, and what the accessibility checks found."""

    url: str
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    printed: Any = None
    screenshot: Path | None = None
    pdf: Path | None = None

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions (a clean page has none)."""
        return [*self.console, *self.exceptions]

    @property
    def outside_requests(self) -> list[str]:
        """Requests for anything but the page itself (a self-contained page makes none)."""
        return [url for url in self.requests if url != self.url]


class Browser:
    """One Chromium process; :meth:`visit` opens a page in a new tab and closes it after."""

    def __init__(self, binary: str) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="govern-chromium-"))
        to_chromium_read, to_chromium_write = os.pipe()
        from_chromium_read, from_chromium_write = os.pipe()

        def wire() -> None:
            # In the child, before exec: Chromium reads commands on fd 3 and answers on fd 4.
            # The pipe's own ends may already be 3 or 4, so copy them away first; dup2 makes
            # inheritable copies and every other descriptor is closed at exec (PEP 446).
            reading, writing = os.dup(to_chromium_read), os.dup(from_chromium_write)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [
                binary,
                *SWITCHES,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire,
        )
        os.close(to_chromium_read)
        os.close(from_chromium_write)
        self._out = to_chromium_write
        self._in = from_chromium_read
        self._buffer = b""
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    # -- the protocol -------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._in], [], [], remaining)
            if ready:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == number:
                if "error" in answer:
                    raise RuntimeError(f"{method} failed: {answer['error']}")
                return dict(answer.get("result", {}))
            self._events.append(answer)

    def _wait_for(self, method: str, session: str, timeout: float = COMMAND_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not any(
            e.get("method") == method and e.get("sessionId") == session for e in self._events
        ):
            event = self._read_message(deadline)
            self._events.append(event)
            if event.get("method") == "Page.javascriptDialogOpening":
                # A dialog blocks the page until answered; it is recorded, then dismissed.
                self.send("Page.handleJavaScriptDialog", {"accept": False}, session=session)

    # -- pages --------------------------------------------------------------------------------

    def visit(
        self,
        page: Path,
        *,
        screenshot: Path | None = None,
        pdf: Path | None = None,
        print_script: str | None = None,
        width: int = 1100,
        check_accessibility: bool = True,
    ) -> PageVisit:
        """Open ``page`` from a file URL, record what it did, check it, and close the tab.

        ``screenshot`` and ``pdf`` save the whole page as PNG and as printed (A4); with
        ``print_script``, that expression is evaluated with the print stylesheet applied and
        its value kept in ``printed``."""
        url = page.resolve().as_uri()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        try:
            for domain in ("Page", "Runtime", "Network", "Log"):
                self.send(f"{domain}.enable", session=session)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            self._events.clear()
            self.send("Page.navigate", {"url": url}, session=session)
            self._wait_for("Page.loadEventFired", session)
            visit = PageVisit(url=url)
            if check_accessibility:
                checked = self._evaluate(ACCESSIBILITY_SCRIPT.read_text(), session)
                visit.violations = list(checked["violations"])
                visit.facts = dict(checked["facts"])
            if screenshot is not None:
                shot = self.send(
                    "Page.captureScreenshot",
                    {"format": "png", "captureBeyondViewport": True},
                    session=session,
                )
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                visit.screenshot = screenshot
            if print_script is not None:
                self.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
                visit.printed = self._evaluate(print_script, session)
                self.send("Emulation.setEmulatedMedia", {"media": ""}, session=session)
            if pdf is not None:
                printed = self.send(
                    "Page.printToPDF",
                    {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True},
                    session=session,
                )
                pdf.parent.mkdir(parents=True, exist_ok=True)
                pdf.write_bytes(base64.b64decode(printed["data"]))
                visit.pdf = pdf
            self._collect(visit, session)
            return visit
        finally:
            self.send("Target.closeTarget", {"targetId": target})

    def _evaluate(self, script: str, session: str) -> Any:
        answer = self.send(
            "Runtime.evaluate",
            {"expression": script, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in answer:
            raise RuntimeError(f"the check script failed: {answer['exceptionDetails']}")
        return answer["result"]["value"]

    def _collect(self, visit: PageVisit, session: str) -> None:
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                texts = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
                visit.console.append(f"console.{params['type']}: {' '.join(texts)}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                entry = params["entry"]
                visit.console.append(f"{entry['source']} {entry['level']}: {entry['text']}")
            elif method == "Runtime.exceptionThrown":
                visit.exceptions.append(str(params["exceptionDetails"].get("text")))
            elif method == "Network.requestWillBeSent":
                visit.requests.append(str(params["request"]["url"]))
            elif method == "Page.javascriptDialogOpening":
                visit.dialogs.append(str(params.get("message")))
        self._events = [e for e in self._events if e.get("sessionId") != session]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)
