"""pyHanko's signing and validation are coroutines: run one to its end from synchronous code."""

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run_coroutine(coro):
    """Run `coro` to the end, also when this thread already runs an event loop (a browser
    test's driver, an async worker): then in a thread of its own, since asyncio.run cannot
    nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
