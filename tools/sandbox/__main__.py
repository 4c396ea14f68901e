"""``python -m tools.sandbox [--port 4566] [--accounts 50 --resources 10000 --events 1000] [--processes 1]``."""

import argparse
import os
import signal
import sys
import threading
from datetime import UTC, datetime

from .api import moment
from .cloudwatch import Publisher
from .scale import scale
from .scenario import Clock, demo
from .server import Sandbox, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.sandbox", description="A local AWS for Supportdesk.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument(
        "--step-seconds",
        type=int,
        default=int(os.environ.get("SANDBOX_STEP_SECONDS", "30")),
        help="how often the demo story moves on (default: SANDBOX_STEP_SECONDS or 30)",
    )
    parser.add_argument(
        "--epoch", type=moment, help="when step 0 starts (default: now); pin it for identical data across restarts"
    )
    scale_mode = parser.add_argument_group("scale mode (for benchmarks): static data in place of the demo story")
    scale_mode.add_argument("--accounts", type=int, help="accounts (default 50 once any of these is given)")
    scale_mode.add_argument("--resources", type=int, help="flagged resources over all accounts (default 10000)")
    scale_mode.add_argument("--events", type=int, help="Health events over all accounts (default 1000)")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="serve from this many processes sharing the port (benchmarks: one Python process is one core at most)",
    )
    parser.add_argument("--throttle-every", type=int, default=0, help="answer every Nth request with throttling")
    parser.add_argument("--verbose", action="store_true", help="print each operation and its status")
    args = parser.parse_args(argv)

    clock = Clock(epoch=args.epoch or datetime.now(UTC).replace(microsecond=0), step_seconds=args.step_seconds)
    sizes = {"accounts": 50, "resources": 10_000, "events": 1000}
    given = {name: getattr(args, name) for name in sizes if getattr(args, name) is not None}
    if args.processes < 1 or (args.processes > 1 and not given):
        parser.error("--processes: at least 1, and more only in scale mode (the demo story keeps state)")
    if given:
        sizes |= given
        world = scale(clock, **sizes)
        story = "scale mode: {accounts} accounts, {resources} flagged resources, {events} Health events".format(**sizes)
    else:
        world, story = demo(clock), f"demo story, one step every {args.step_seconds} s"
    sandbox = Sandbox(world, throttle_every=args.throttle_every)
    server = serve(sandbox, host=args.host, port=args.port, verbose=args.verbose)
    print(f"AWS sandbox at http://{args.host}:{args.port} ({story})", flush=True)
    print(f"Texts and calls sent through it: http://{args.host}:{args.port}/phone/", flush=True)
    if not given and os.environ.get("SANDBOX_PORTAL_URL"):  # the demo story's alarms, pushed as SNS would
        publisher = Publisher(world, os.environ["SANDBOX_PORTAL_URL"], now=sandbox.now)
        threading.Thread(target=publisher.run, args=(threading.Event(),), daemon=True, name="alarms").start()
        print(f"CloudWatch alarms go to {publisher.url} through SNS, as the story fires and clears them", flush=True)
    children = _forked(args.processes - 1)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; `make run` says what stopped
    finally:
        server.server_close()
        for pid in children:
            os.kill(pid, signal.SIGTERM)


def _forked(count: int) -> list[int]:
    """Copies of this process serving the same listening socket (the kernel hands each connection to one), each
    with its own copy of the world. Only for static worlds: what one copy records (cases, texts, the story's
    clock) the others do not see. Returns the children's ids; in a child, an empty list."""
    children: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            return []
        children.append(pid)
    if children:  # a TERM to the first process stops its copies too
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    return children


if __name__ == "__main__":
    main()
