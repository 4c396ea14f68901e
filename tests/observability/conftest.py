import pytest
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-for-tests-0123456789"


class Scrape(dict):
    """One /metrics answer: {(sample name, frozenset of label pairs): value}, and the families it declares."""

    families: set[str]

    def value(self, name: str, **labels: str) -> float | None:
        return self.get((name, frozenset(labels.items())))

    def series(self, name: str) -> dict[frozenset, float]:
        return {labels: value for (sample, labels), value in self.items() if sample == name}


def parsed(text: str) -> Scrape:
    scrape = Scrape()
    scrape.families = set()
    for family in text_string_to_metric_families(text):
        scrape.families.add(family.name)
        for sample in family.samples:
            scrape[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return scrape


@pytest.fixture
def metrics_token(settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    return TOKEN


@pytest.fixture
def scrape(client, metrics_token):
    def read() -> Scrape:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return parsed(response.content.decode())

    return read
