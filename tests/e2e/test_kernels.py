"""Chapters run side by side: a fresh kernel that loses a port to another kernel is started
again; a warm kernel (make book) takes no port."""

import atexit
import socket

import nbformat
import pytest
from jupyter_client.provisioning.local_provisioner import LocalPortCache
from nbclient import NotebookClient

from borderbook import kernels, warm


@pytest.fixture
def taken_port():
    """A port another process holds, as when two kernels start in the same instant."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_kernel_that_loses_its_ports_is_started_again(monkeypatch, taken_port):
    offered = []
    free_port = LocalPortCache.find_available_port

    def race(cache, ip):
        """The first kernel is offered the taken port for all its channels, as in the race."""
        offered.append(ip)
        return taken_port if len(offered) <= 5 else free_port(cache, ip)

    monkeypatch.setattr(LocalPortCache, "find_available_port", race)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("6 * 7")])
    clients = []

    def execute():
        clients.append(NotebookClient(notebook, timeout=60, kernel_name="python3"))
        return clients[-1].execute()

    kernels.run(execute)
    for client in clients:   # nbclient leaves an exit hook for the kernel that died (a worker never runs it)
        atexit.unregister(client._cleanup_kernel)
    assert len(offered) > 5, "the first kernel start should have lost the race"
    assert notebook.cells[0].outputs[0]["data"]["text/plain"] == "42"


def test_a_warm_kernel_takes_no_port_and_warns_of_nothing(monkeypatch, capfd):
    # A build's kernels talk over Unix sockets of their own: no port to lose to another
    # chapter's kernel, and no warning in the build's output that the traffic is unencrypted
    # (printed for every chapter before).
    def no_port(cache, ip):
        raise AssertionError("a warm kernel asked for a TCP port")

    monkeypatch.setattr(LocalPortCache, "find_available_port", no_port)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from ipykernel.connect import get_connection_info\n"
        "info = get_connection_info(unpack=True)\n"
        "print(info['transport'], info['ip'])")])
    with warm.server() as address:
        NotebookClient(notebook, timeout=60, kernel_name="python3", **warm.config(address)).execute()
    transport, where = notebook.cells[0].outputs[0]["text"].split()
    assert transport == "ipc" and where.startswith(address.rpartition("/")[0] + "/")
    assert "WARNING" not in capfd.readouterr().err


@pytest.mark.parametrize("message, attempts", [
    ("the chapter's own error", 1),                                   # never run a chapter twice
    ("Kernel died before replying to kernel_info", kernels.ATTEMPTS),  # a kernel that never starts
])
def test_only_a_kernel_that_died_while_starting_is_started_again(message, attempts):
    calls = []

    def execute():
        calls.append(1)
        raise RuntimeError(message)

    with pytest.raises(RuntimeError, match=message):
        kernels.run(execute)
    assert len(calls) == attempts
