from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sso.services import metadata_cache


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def provider_cloud(fakecloud):
    fakecloud.control.call("reset")
    metadata_cache.CACHE.clear()  # a reset provider has new keys
    return fakecloud
