"""``python -m fakecloud [--host H] [--port P] [--demo]``: serve every emulator on one port."""

from __future__ import annotations

import argparse
import sys

from fakecloud.demo import seed_demo
from fakecloud.server import FakeCloudServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakecloud", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="seed a small demo tenant and domain")
    args = parser.parse_args(argv)
    server = FakeCloudServer(args.host, args.port)
    if args.demo:
        seed_demo(server.cloud)
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
