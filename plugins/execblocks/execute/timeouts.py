"""How long a block may run, which setting decided it, and how to raise it.

A block's `#| timeout:` wins over the site's EXECBLOCKS_TIMEOUT, but nothing escapes
EXECBLOCKS_MAX_TIMEOUT: `timeout: 0` or a negative value (Quarto's and nbclient's
"no limit") and absurd values end at that ceiling, so a block can never hang a build
(or a CI runner) for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

from execblocks.config import BlockOptions, EngineSettings


@dataclass(frozen=True)
class BlockLimit:
    seconds: int
    setting: str  # the limit that applies, as the author would write it
    how_to_raise: str

    def message(self) -> str:
        """'ran past its 5 s limit (`#| timeout: 5`); raise it with ...'"""
        return f"ran past its {self.seconds} s limit ({self.setting}); {self.how_to_raise}"


def block_limit(options: BlockOptions, settings: EngineSettings) -> BlockLimit:
    ceiling = settings.max_timeout
    capped = (f"EXECBLOCKS_MAX_TIMEOUT = {ceiling}, the site's ceiling for any block",
              "if the block really needs longer, raise EXECBLOCKS_MAX_TIMEOUT in pelicanconf.py")
    wanted = options.timeout
    if wanted is None:
        if settings.timeout > ceiling:
            return BlockLimit(ceiling, *capped)
        return BlockLimit(settings.timeout, f"EXECBLOCKS_TIMEOUT = {settings.timeout}, the site's default",
                          f"raise it for this block with `#| timeout: N` (up to EXECBLOCKS_MAX_TIMEOUT = "
                          f"{ceiling}), or for every block with EXECBLOCKS_TIMEOUT in pelicanconf.py")
    if wanted <= 0 or wanted > ceiling:
        why = "asks for no limit" if wanted <= 0 else "is above the ceiling"
        return BlockLimit(ceiling, f"`#| timeout: {wanted}` {why}, so {capped[0]}", capped[1])
    return BlockLimit(wanted, f"`#| timeout: {wanted}`",
                      f"raise it with `#| timeout: N` (up to EXECBLOCKS_MAX_TIMEOUT = {ceiling})")
