"""Kernel start-up in parallel worker processes, retried when it loses a port race.

``make reproduce`` and ``make verify`` run chapters side by side, each in a worker process
that starts its own fresh kernel. jupyter_client picks a kernel's TCP ports by asking the
system for free ones and lets the kernel bind them a moment later; a kernel starting at the
same moment in another process can take one of them first. The loser dies before it answers
("Kernel died before replying to kernel_info"), seen in CI on a two-core machine. No cell has
run by then, so starting again is safe and changes nothing. (``make book``'s warm kernels talk
over Unix sockets of their own, :mod:`borderbook.warm`, and do not race.)
"""

from typing import Callable, TypeVar

ATTEMPTS = 3

Result = TypeVar("Result")


def start_failed(error: BaseException) -> bool:
    """Whether ``error`` is a kernel that died while starting, before running any cell."""
    return isinstance(error, RuntimeError) and "before replying to kernel_info" in str(error)


def run(execute: Callable[[], Result], attempts: int = ATTEMPTS) -> Result:
    """Call ``execute`` (one notebook run); start again if its kernel died while starting."""
    for _ in range(attempts - 1):
        try:
            return execute()
        except RuntimeError as error:
            if not start_failed(error):
                raise
    return execute()
