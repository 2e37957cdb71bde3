"""``orgsim dashboard``: check the scenarios, then serve :mod:`sim.app` with Solara, offline.

The page's front end comes from the ``solara-assets`` package (nothing is fetched from a CDN);
Solara's usage reports are switched off.  The address is bound before the server starts, so a
port in use is reported as bad input (exit code 2) instead of a traceback, and ``--port 0`` picks
a free port, which the printed address then names.
"""

from __future__ import annotations

import os
import socket
import sys
import warnings
from pathlib import Path

from .errors import InputError

__all__ = ["DashboardInputError", "serve", "bind"]


class DashboardInputError(InputError):
    """A flag or argument of ``orgsim dashboard`` that cannot be used (printed as one line)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one).  Raises DashboardInputError."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        raise DashboardInputError(f"--host/--port: cannot serve on {host}:{port}: {exc.strerror or exc}; "
                                  "choose another port (--port 0 picks a free one)") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(scenarios: list[Path], host: str = "127.0.0.1", port: int = 8765, seed: int | None = None, storyline: str | None = None) -> int:
    """Check the scenario files (building both panes once), then serve the dashboard until Ctrl-C.
    Scenario problems raise the scenario's own errors (the command line prints them)."""
    if len(scenarios) > 2:
        raise DashboardInputError(f"dashboard: give at most two scenario files, before and after (got {len(scenarios)})")
    if scenarios and storyline:
        raise DashboardInputError("dashboard: give scenario files or --storyline, not both")
    from .app import custom_storyline
    from .dashboard_session import DashboardSession

    DashboardSession(custom_storyline(*scenarios) if scenarios else (storyline or "change_programme"), seed)  # fails here, not in the browser
    env = {"ORGSIM_DASHBOARD_BEFORE": str(Path(scenarios[0]).resolve()) if scenarios else "",
           "ORGSIM_DASHBOARD_AFTER": str(Path(scenarios[1]).resolve()) if len(scenarios) > 1 else "",
           "ORGSIM_DASHBOARD_STORYLINE": storyline or "", "ORGSIM_DASHBOARD_SEED": "" if seed is None else str(seed)}
    os.environ.update(env)
    os.environ["SOLARA_APP"] = "sim.app"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    sock = bind(host, port)
    import uvicorn
    from solara.server import settings

    settings.main.mode = "production"  # no file watching or auto-restart
    # plain http on this machine or the room's network: Solara's advice on https cookies for embedding does not apply
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    settings.telemetry.mixpanel_enable = False
    shown = f"[{host}]" if ":" in host else host
    print(f"orgsim dashboard: http://{shown}:{sock.getsockname()[1]}/  (Ctrl-C stops it)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"  serving on {host}: anyone who can reach this machine can open and change it", file=sys.stderr)
    config = uvicorn.Config("solara.server.starlette:app", log_level="warning", lifespan="on", timeout_graceful_shutdown=2)  # Ctrl-C once is enough
    uvicorn.Server(config).run(sockets=[sock])
    return 0
