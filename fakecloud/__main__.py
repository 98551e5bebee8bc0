"""``python -m fakecloud [--host H] [--port P] [--demo [--google-key-out F]]``: serve every emulator on one port."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fakecloud.demo import seed_demo
from fakecloud.server import FakeCloudServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakecloud", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="seed a small Microsoft 365 demo tenant")
    parser.add_argument("--google-key-out", type=Path, metavar="FILE",
                        help="with --demo: also seed a Google Workspace domain and write its service-account key")
    args = parser.parse_args(argv)
    server = FakeCloudServer(args.host, args.port)
    if args.demo:
        seed_demo(server.cloud, server.base_url, args.google_key_out)
    # The first stdout line is the base URL: fixtures and scripts read it to find the port.
    print(f"fakecloud listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
