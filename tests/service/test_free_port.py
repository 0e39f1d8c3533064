"""The service's port is picked where BentoML's own bind-to-0 ports and Ray's worker ports can never land."""

import socket

from sikap.service.process import RAY_WORKER_PORTS, ephemeral_ports, free_port


def test_free_port_is_bindable_and_outside_the_ephemeral_range_and_rays_worker_ports() -> None:
    ports = {free_port() for _ in range(20)}
    assert not ports & set(ephemeral_ports())
    assert not ports & set(RAY_WORKER_PORTS)
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_a_port_bound_to_zero_is_in_the_ephemeral_range() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        assert s.getsockname()[1] in ephemeral_ports()
