"""Fetch one file over HTTP(S) into a ``.part`` file: streaming, resumable, cancellable.

Plain :mod:`http.client` (no third-party dependency).  Redirects are followed
by hand so the first response's headers are seen: the Hugging Face hub puts
the SHA-256 of an LFS file in ``X-Linked-Etag`` on the redirect, not on the
CDN's final answer.

Cancelling is prompt even while a read is blocked: a watcher thread shuts the
socket down as soon as the :class:`~core.jobs.CancelToken` fires, and the read
loop then raises :class:`~core.jobs.JobCancelled`.  The ``.part`` file stays,
so the next attempt resumes with an HTTP ``Range`` request.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import urljoin, urlsplit

from core.errors import DownloadError
from core.jobs import CancelToken, JobCancelled, check

CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 8
USER_AGENT = "Resonote/0.1 (model downloader)"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` produced.

    Attributes
    ----------
    sha256 : str
        Hex SHA-256 of the whole file now in the ``.part`` path.
    size : int
        Its size in bytes.
    server_sha256 : str or None
        SHA-256 the server announced (``X-Linked-Etag`` / ``ETag`` when it is
        64 hex digits), else None.
    resumed_from : int
        Bytes kept from an earlier partial download (0 when none).
    """

    sha256: str
    size: int
    server_sha256: Optional[str]
    resumed_from: int


class NotFoundError(DownloadError):
    """The server answered 404 for this file."""


class _Interrupted(Exception):
    """The connection ended before the whole body arrived (retry with Range)."""


def sha256_from_headers(headers: http.client.HTTPMessage) -> Optional[str]:
    """The SHA-256 announced by ``X-Linked-Etag`` or ``ETag``, if one is 64 hex digits."""
    for key in ("X-Linked-Etag", "ETag"):
        value = headers.get(key)
        if not value:
            continue
        value = value.strip()
        if value.startswith("W/"):
            value = value[2:]
        value = value.strip('"').lower()
        if _HEX64.match(value):
            return value
    return None


class _CancelWatch:
    """Shut the current socket down when ``cancel`` fires, unblocking a read."""

    def __init__(self, cancel: Optional[CancelToken]) -> None:
        self.cancel = cancel
        self.sock: Optional[socket.socket] = None
        self._done = threading.Event()
        self._thread = None
        if cancel is not None:
            self._thread = threading.Thread(target=self._run, name="download-cancel", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            if self.cancel.wait(0.1):
                sock = self.sock
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return

    def close(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _open(url: str, *, start: int, timeout_s: float, watch: _CancelWatch, label: str):
    """GET ``url`` (from byte ``start``), following redirects; returns (conn, resp, sha)."""
    server_sha = None
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError(f"Cannot download {label}: unsupported address {url!r}.")
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout_s,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if start > 0:
            headers["Range"] = f"bytes={start}-"
        try:
            conn.connect()
        except (TimeoutError, ssl.SSLError):
            raise
        except OSError as exc:
            raise DownloadError(
                f"Cannot connect to {parts.hostname} to download {label} "
                f"({exc.strerror or exc}). Check your internet connection.") from exc
        watch.sock = conn.sock
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        server_sha = server_sha or sha256_from_headers(resp.headers)
        if resp.status in (301, 302, 303, 307, 308) and resp.getheader("Location"):
            location = resp.getheader("Location")
            resp.read()
            conn.close()
            url = urljoin(url, location)
            continue
        return conn, resp, server_sha
    raise DownloadError(f"Cannot download {label}: too many redirects from {_host(url)}.")


def _write_error(part: Path, exc: OSError) -> DownloadError:
    return DownloadError(f"Cannot save the download to {part.parent}: "
                         f"{exc.strerror or exc}. Free some disk space or check permissions.")


def _hash_existing(path: Path, cancel: Optional[CancelToken]) -> hashlib._Hash:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            check(cancel)
            h.update(chunk)
    return h


def _attempt(url: str, part: Path, *, timeout_s: float, cancel: Optional[CancelToken],
             on_bytes: Callable[[int, Optional[int]], None], label: str) -> FetchResult:
    start = part.stat().st_size if part.exists() else 0
    watch = _CancelWatch(cancel)
    conn = None
    try:
        conn, resp, server_sha = _open(url, start=start, timeout_s=timeout_s, watch=watch,
                                       label=label)
        check(cancel)
        if resp.status == 416 and start > 0:
            # Our partial file is no prefix of what the server has now: start over.
            resp.read()
            part.unlink()
            raise _Interrupted("range not satisfiable")
        if resp.status == 404:
            raise NotFoundError(f"{label} is not on the server (HTTP 404 from {_host(url)}). "
                                "The model may have moved; a newer Resonote may know where.")
        if resp.status not in (200, 206):
            raise DownloadError(f"The server refused the download of {label} "
                                f"(HTTP {resp.status} {resp.reason} from {_host(url)}).")
        total = None
        if resp.status == 206:
            m = _CONTENT_RANGE.match(resp.getheader("Content-Range") or "")
            if not m or int(m.group(1)) != start:
                raise DownloadError(f"The server sent a wrong part of {label}; try again.")
            total = int(m.group(3)) if m.group(3) != "*" else None
        else:
            start = 0  # the server ignored Range: the body is the whole file
            length = resp.getheader("Content-Length")
            total = int(length) if length and length.isdigit() else None
        h = _hash_existing(part, cancel) if start else hashlib.sha256()
        got = start
        on_bytes(got, total)
        try:
            fh = open(part, "ab" if start else "wb")
        except OSError as exc:
            raise _write_error(part, exc) from exc
        with fh:
            while True:
                check(cancel)
                try:
                    chunk = resp.read1(CHUNK_BYTES)
                except TimeoutError:
                    raise
                except (OSError, http.client.HTTPException) as exc:
                    check(cancel)
                    raise _Interrupted(str(exc)) from exc
                if not chunk:
                    break
                try:
                    fh.write(chunk)
                except OSError as exc:
                    raise _write_error(part, exc) from exc
                h.update(chunk)
                got += len(chunk)
                on_bytes(got, total)
        check(cancel)
        if total is not None and got < total:
            raise _Interrupted(f"connection closed after {got} of {total} bytes")
        return FetchResult(sha256=h.hexdigest(), size=got, server_sha256=server_sha,
                           resumed_from=start)
    except TimeoutError as exc:
        check(cancel)
        raise DownloadError(
            f"No answer from {_host(url)} for {timeout_s:g} s while downloading {label}. "
            "Check your internet connection and try again; the download resumes where it "
            "stopped.") from exc
    except (ConnectionError, http.client.HTTPException) as exc:
        check(cancel)
        raise _Interrupted(str(exc)) from exc
    except ssl.SSLError as exc:
        raise DownloadError(f"Secure connection to {_host(url)} failed ({exc.reason}).") from exc
    except OSError as exc:
        check(cancel)
        raise DownloadError(f"Cannot connect to {_host(url)} to download {label} "
                            f"({exc.strerror or exc}). Check your internet connection.") from exc
    finally:
        watch.close()
        if conn is not None:
            conn.close()


def fetch(url: str, part: Path, *, timeout_s: float = 30.0, retries: int = 3,
          cancel: Optional[CancelToken] = None,
          on_bytes: Callable[[int, Optional[int]], None] = lambda done, total: None,
          label: str = "the file") -> FetchResult:
    """Download ``url`` into ``part``, resuming from what ``part`` already holds.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` address; redirects are followed.
    part : Path
        Partial file; appended to with a ``Range`` request when it exists.
    timeout_s : float
        Seconds without any answer (connect or data) before giving up.
    retries : int
        How many times a dropped connection is resumed before failing.
    cancel : CancelToken, optional
        Checked per 64 KiB chunk; a blocked read is unblocked within ~0.1 s.
    on_bytes : callable
        ``on_bytes(done, total)`` after every chunk; ``total`` is None when unknown.
    label : str
        What is downloaded, for error messages (``"model.bin of 'htdemucs'"``).

    Returns
    -------
    FetchResult

    Raises
    ------
    DownloadError
        HTTP error (:class:`NotFoundError` for 404), timeout, connection failure.
    JobCancelled
        ``cancel`` fired; ``part`` keeps the bytes received so far.
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries + 1):
        try:
            return _attempt(url, part, timeout_s=timeout_s, cancel=cancel, on_bytes=on_bytes,
                            label=label)
        except _Interrupted as exc:
            if attempt == retries:
                have = part.stat().st_size if part.exists() else 0
                raise DownloadError(
                    f"The connection to {_host(url)} dropped while downloading {label} "
                    f"({have / 1e6:.1f} MB received). Run the download again: it resumes "
                    "where it stopped.") from exc
            if cancel is not None and cancel.wait(0.2 * (attempt + 1)):
                raise JobCancelled() from None
    raise AssertionError("unreachable")
