"""What every experiment config shares: a name -> profile lookup."""

from dataclasses import replace


class Profiles:
    """Mixin for config dataclasses that define `quick()` and `full()` classmethods."""

    @classmethod
    def for_profile(cls, name: str, **overrides):
        """`XConfig.for_profile("quick")`; keyword overrides replace single fields."""
        profiles = {"quick": cls.quick, "full": cls.full}
        if name not in profiles:
            raise ValueError(f"unknown profile {name!r}; expected one of {sorted(profiles)}")
        return replace(profiles[name](), **overrides)

    @classmethod
    def quick(cls):
        return cls()  # the field defaults are the quick (CPU) profile
