import pytest

from tools.sandbox.scenario import BASIC, DEVELOPMENT, PRODUCTION, Clock, demo

from .helpers import EPOCH, Live


@pytest.fixture
def live():
    server = Live(demo(Clock(EPOCH, 30)))
    yield server
    server.close()


@pytest.fixture
def production(live):
    return lambda service: live.client(service, PRODUCTION)


@pytest.fixture
def development(live):
    return lambda service: live.client(service, DEVELOPMENT)


@pytest.fixture
def basic(live):
    return lambda service: live.client(service, BASIC)
