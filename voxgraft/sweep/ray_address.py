"""Is there a Ray cluster at `--address`? Answered within a bounded time.

`ray.init(address=...)` blocks in native code for about two minutes when nothing answers, and
ignores SIGTERM and SIGALRM meanwhile. So the address is first tried with a plain TCP connection
(a refused or unroutable port fails in seconds), then by a throwaway driver in a subprocess that
is killed when it does not connect in time. Start at `check_reachable`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

CONNECT_TIMEOUT_S = 10.0
DRIVER_TIMEOUT_ENV = "VOXGRAFT_RAY_CONNECT_TIMEOUT"
DRIVER_TIMEOUT_S = 60.0

_PROBE = (
    "import sys, ray\n"
    "ray.init(address=sys.argv[1], include_dashboard=False, log_to_driver=False, configure_logging=False)\n"
    "ray.shutdown()\n"
)


class UnreachableRay(Exception):
    pass


def host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of `host:port`, `[v6]:port` or `ray://host:port`; None for `auto` and the like."""
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    return host.strip("[]"), int(port)


def _tcp_check(address: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UnreachableRay(f"nothing answers at {address} ({reason}); is the cluster up? try `ray status --address {address}`") from None


def _driver_check(address: str, timeout: float) -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, address], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:  # subprocess.run kills it (SIGKILL): Ray's connect ignores SIGTERM
        raise UnreachableRay(f"Ray at {address} did not accept a driver within {timeout:g} s; is it a Ray head's GCS port?") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith(" ")]
        raise UnreachableRay(f"Ray at {address} refused a driver: {lines[-1] if lines else f'exit {done.returncode}'}")


def check_reachable(address: str) -> None:
    """Raise UnreachableRay with one line unless a Ray driver can connect to `address` in time."""
    target = host_port(address)
    if target is not None:
        _tcp_check(address, *target)
    _driver_check(address, _driver_timeout())


def _driver_timeout() -> float:
    text = os.environ.get(DRIVER_TIMEOUT_ENV, str(DRIVER_TIMEOUT_S))
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 3600:
        raise UnreachableRay(f"{DRIVER_TIMEOUT_ENV}={text!r}: give seconds between 0 and 3600")
    return seconds
