"""The timeout a block gets: its own, the site's, never past the ceiling."""


import pytest

from execblocks.config import BlockOptions, ConfigError, EngineSettings
from execblocks.execute.timeouts import block_limit


def settings(**values) -> EngineSettings:
    base = {"PATH": "/tmp/site/content", "OUTPUT_PATH": "/tmp/site/output", "EXECBLOCKS_ROOT": "/tmp/site"}
    return EngineSettings.from_pelican({**base, **values})


@pytest.mark.parametrize("wanted, seconds, says", [
    (None, 1800, "EXECBLOCKS_TIMEOUT = 1800"),
    (60, 60, "`#| timeout: 60`"),
    (0, 3600, "asks for no limit"),
    (-1, 3600, "asks for no limit"),
    (10**12, 3600, "is above the ceiling"),
])
def test_block_limit(wanted, seconds, says):
    limit = block_limit(BlockOptions(timeout=wanted), settings(EXECBLOCKS_MAX_TIMEOUT=3600))
    assert limit.seconds == seconds and says in limit.message()


def test_site_default_above_the_ceiling_is_capped():
    limit = block_limit(BlockOptions(), settings(EXECBLOCKS_TIMEOUT=7200, EXECBLOCKS_MAX_TIMEOUT=60))
    assert limit.seconds == 60 and "EXECBLOCKS_MAX_TIMEOUT = 60" in limit.message()


@pytest.mark.parametrize("bad", [0, -5, "1h", True])
def test_ceiling_must_be_positive_seconds(bad):
    with pytest.raises(ConfigError, match="EXECBLOCKS_MAX_TIMEOUT must be a positive int"):
        settings(EXECBLOCKS_MAX_TIMEOUT=bad)
