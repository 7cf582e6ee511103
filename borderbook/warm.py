"""Warm kernels: each chapter's kernel is forked from a process that imported the heavy modules once.

A fresh kernel spends most of its short life starting Python and importing ipykernel, pandas,
frictionless, matplotlib and borderbook (1.5 to 2.5 s, ten times per cold build). During
``make book`` a *fork server* (``python -m borderbook.warm``, one per :func:`execute.run
<borderbook.execute.run>`) imports them once; each chapter's kernel is a child forked from it
that then does what ``python -m ipykernel_launcher -f <connection file>`` does, in the chapter's
folder and with the environment jupyter_client prepared for it (``BORDERBOOK_STAGING`` too).
jupyter_client and nbclient drive it as any kernel: :class:`KernelManager` gives it a
:class:`Provisioner` that launches through the server instead of ``Popen``.

Isolation: the server only imports and forks; it never runs a chapter's code. Every kernel is
its own process with a fresh IPython namespace, starting from the state of a pristine import,
so a chapter cannot see another's variables, module state (matplotlib's rcParams, borderbook's
modules) or figures (``tests/e2e/test_warm.py``). The server imports exactly the borderbook
modules every chapter imports (``borderbook.chapter`` brings them), so a chapter's run, which
lists the helper modules it imported, is the same as in a fresh kernel.

``make verify`` and ``make reproduce`` keep fresh kernels: the clean room is their point.

Lifetime: the server exits, killing its kernels, when the build closes its pipe or ends (Ctrl-C
and SIGTERM reach the build, which closes the pipe as it unwinds); a kernel whose client (a build
worker) hangs up is killed too; and each kernel watches the server (ipykernel's parent poller),
so none outlives an interrupted build.
"""

import importlib.util
import json
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

#: what the server imports before forking: ipykernel, and (through ``publishing``) pandas,
#: frictionless, matplotlib with pyplot, and the borderbook modules every chapter imports;
#: myst_nb, whose ``glue`` every chapter calls
PRELOAD = ("ipykernel.kernelapp", "borderbook.publishing", "myst_nb")
LAUNCHER = ("-m", "ipykernel_launcher")


@contextmanager
def server():
    """A fork server for one build: yield the path of its socket; stop it (and its kernels) after."""
    with tempfile.TemporaryDirectory(prefix="borderbook-kernels-") as folder:
        address = os.path.join(folder, "socket")
        with socket.socket(socket.AF_UNIX) as listener:
            # Listening before the server has imported anything: the first chapters can ask for
            # a kernel at once, and are answered as soon as the imports are done.
            listener.bind(address)
            listener.listen()
            process = subprocess.Popen(
                [sys.executable, "-m", "borderbook.warm", str(listener.fileno()), str(os.getpid())],
                stdin=subprocess.PIPE, pass_fds=[listener.fileno()])
        try:
            yield address
        finally:
            process.stdin.close()   # the server's signal to kill its kernels and exit
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def config(address: str) -> dict:
    """The arguments of nbclient (and jupyter-cache's ``single_nb_execution``) for a warm kernel."""
    from traitlets.config import Config

    return {"kernel_manager_class": KernelManager,
            "config": Config({"KernelManager": {"server": address, "transport": "ipc"}})}


class KernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, with a kernel forked by the server at ``server``.

    The kernel talks over Unix sockets named after it in the server's folder, not TCP ports:
    ports picked by one worker and bound a moment later by its kernel can be taken by another
    chapter's kernel in between (the loser dies "before replying to kernel_info", seen in CI),
    and ipykernel warns, for each chapter, that TCP traffic is not encrypted."""

    server = Unicode(help="the fork server's socket").tag(config=True)

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
        self.ip = os.path.join(os.path.dirname(self.server), self.kernel_id)
        if self.provisioner is None:   # what jupyter_client does, with this provisioner
            self.provisioner = Provisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                           parent=self)
        return await super()._async_pre_start_kernel(**kw)


class Provisioner(LocalProvisioner):
    """jupyter_client's local provisioner (ports, connection file, environment, signals to the
    kernel's process group), except that the kernel is forked by the server, not started."""

    async def launch_kernel(self, cmd, **kwargs):
        if tuple(cmd[:3]) != (sys.executable, *LAUNCHER):   # another kernel: started as usual
            return await super().launch_kernel(cmd, **kwargs)
        client = socket.socket(socket.AF_UNIX)
        client.connect(self.parent.server)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        client.sendall(json.dumps({"argv": cmd[3:], "cwd": cwd, "env": kwargs["env"]}).encode() + b"\n")
        kernel = Kernel(client)   # waits until the server has forked it
        self.process, self.pid, self.pgid, self.cwd = kernel, kernel.pid, kernel.pid, cwd
        return self.connection_info


class Kernel:
    """A forked kernel, seen through the part of ``Popen`` that :class:`LocalProvisioner` uses.
    The server is its parent: it sends the kernel's pid, then its exit code when it ends."""

    stdin = stdout = stderr = None

    def __init__(self, client: socket.socket, timeout: float = 300):
        self.client, self.received, self.returncode = client, b"", None
        client.settimeout(timeout)   # the first answers wait for the server's imports
        try:
            line = self._line(block=True)
        except TimeoutError:
            line = None
        if not line:
            raise RuntimeError("The warm-kernel server (borderbook.warm) " + (
                "exited before starting a kernel; its error is printed above." if line == "" else
                f"did not start a kernel within {timeout:.0f} s."))
        client.settimeout(None)
        self.pid = int(line)

    def poll(self):
        if self.returncode is None:
            self._exit(self._line(block=False))
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            self._exit(self._line(block=True))
        return self.returncode

    def _exit(self, line):
        if line is not None:   # no more lines (""): the server died, and killed its kernels
            self.returncode = int(line) if line else -signal.SIGKILL
            self.client.close()

    def _line(self, block: bool):
        """The server's next line; "" if it hung up; None if it has not sent it yet (not ``block``)."""
        while b"\n" not in self.received:
            if not block and not select.select([self.client], [], [], 0)[0]:
                return None
            data = self.client.recv(64)
            if not data:
                return ""
            self.received += data
        line, self.received = self.received.split(b"\n", 1)
        return line.decode()

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


def serve(listener: socket.socket, build: int) -> None:
    """Import the heavy modules, then fork a kernel for each request until the build's pipe
    (stdin) closes or the build (process ``build``) ends; then kill the kernels still running."""
    # Ctrl-C reaches the whole build: the build, not this server, says what happened; and the
    # server ends (killing its kernels) when the build's pipe closes. SIGTERM ends it cleanly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # What ipykernel_launcher does before importing anything, and ipykernel before a chapter
    # imports matplotlib: the modules are then imported as a fresh kernel imports them.
    if sys.path[0] == "" or os.path.realpath(sys.path[0]) == os.path.realpath(os.getcwd()):
        del sys.path[0]
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in PRELOAD:
        importlib.import_module(name)
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "build")
    try:
        selector.register(os.pidfd_open(build), selectors.EVENT_READ, "build")
    except ProcessLookupError:   # the build has already ended
        return
    selector.register(listener, selectors.EVENT_READ, "request")
    kernels = {}   # pid: the connection of the worker that asked for it
    try:
        while True:
            for key, _ in selector.select():
                if key.data == "build":
                    if key.fd != sys.stdin.fileno() or not os.read(key.fd, 4096):
                        return
                elif key.data == "request":
                    client, _ = listener.accept()
                    request = client.makefile("r").readline()
                    if not request:   # the worker went away before asking
                        client.close()
                        continue
                    request = json.loads(request)
                    pid = os.fork()
                    if pid == 0:   # the kernel keeps none of the server's files
                        for file in [key.fileobj for key in selector.get_map().values()] + [client]:
                            os.close(file.detach() if isinstance(file, socket.socket) else file)
                        selector.close()
                        _kernel(request)   # never returns
                    kernels[pid] = client
                    exits = os.pidfd_open(pid)
                    selector.register(exits, selectors.EVENT_READ, ("exit", pid))
                    selector.register(client, selectors.EVENT_READ, ("client", pid))
                    try:
                        client.sendall(f"{pid}\n".encode())
                    except OSError:   # the worker went away: the kernel is killed below
                        pass
                elif key.data[0] == "client":   # the worker hung up before its kernel ended
                    _killpg(key.data[1])
                    selector.unregister(key.fileobj)
                else:
                    pid = key.data[1]
                    _, status = os.waitpid(pid, 0)
                    selector.unregister(key.fileobj)
                    os.close(key.fd)
                    client = kernels.pop(pid)
                    if client.fileno() in selector.get_map():
                        selector.unregister(client)
                    try:
                        client.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                    except OSError:
                        pass
                    client.close()
    finally:
        for pid in kernels:
            _killpg(pid)


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:   # already gone
        pass


def _kernel(request: dict) -> None:
    """In the forked child: become the kernel ``python -m ipykernel_launcher ARGV`` would start."""
    code = 1
    try:
        os.setsid()   # its own process group, as jupyter_client starts kernels
        signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a fresh Python
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"], JPY_PARENT_PID=str(os.getppid()))
        launcher = importlib.util.find_spec("ipykernel_launcher").origin
        sys.argv = [launcher, *request["argv"]]
        from ipykernel import kernelapp

        # parent_handle: the kernel exits if the server does (its default was read from the
        # server's environment when ipykernel was imported)
        kernelapp.launch_new_instance(argv=request["argv"], parent_handle=os.getppid())
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:   # a closed stream must not keep the child alive
                pass
        os._exit(code)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), int(sys.argv[2]))
