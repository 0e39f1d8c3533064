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


def test_a_service_whose_port_was_taken_starts_again_on_another(default_tag: str, monkeypatch) -> None:
    """Another process may bind the picked port before the service does: it is started again elsewhere."""
    import httpx
    from conftest import SESSION_HOME

    from sikap.service import process

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        second = free_port()
        picks = [taken.getsockname()[1], second]
        monkeypatch.setattr(process, "free_port", lambda: picks.pop(0))
        with process.running_service(SESSION_HOME) as service:
            assert service.url == f"http://127.0.0.1:{second}" and not picks  # the taken port, then another
            assert httpx.get(f"{service.url}/readyz").status_code == 200
