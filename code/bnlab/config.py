"""What every experiment config shares: a name -> profile lookup."""

from dataclasses import replace


class Profiles:
    """Mixin for config dataclasses that define `quick()`, `full()` and `short()` classmethods
    (`short`: a smoke run of every experiment in about a minute on a laptop CPU, for a
    reader checking that a downloaded bundle runs; its numbers are not the article's)."""

    @classmethod
    def for_profile(cls, name: str, **overrides):
        """`XConfig.for_profile("quick")`; keyword overrides replace single fields."""
        profiles = {"quick": cls.quick, "full": cls.full, "short": cls.short}
        if name not in profiles:
            raise ValueError(f"unknown profile {name!r}; expected one of {sorted(profiles)}")
        return replace(profiles[name](), **overrides)

    @classmethod
    def quick(cls):
        return cls()  # the field defaults are the quick (CPU) profile
