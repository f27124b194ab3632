"""The lock files (`bootstrap` installs from them) still agree with their inputs.

`requirements*.txt` say what the project asks for; `requirements*.lock` (pip-compile
--generate-hashes, README "Updating the lock file") pin every package with its hashes. A
package added to an input without recompiling the lock would never be installed, so each
input requirement must be met by the lock's pin, and the two locks must pin alike.
"""
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def input_requirements(name: str) -> list[Requirement]:
    """The requirements of an input file, following its `-r` includes."""
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += input_requirements(line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def lock_pins(name: str) -> dict[str, tuple[Version, list[str]]]:
    """name -> (pinned version, its hashes), read from a pip-compile lock file."""
    text = (ROOT / name).read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        name_part, _, version = requirement.partition("==")
        assert version, f"{name}: {requirement!r} is not pinned with =="
        hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=sha256:")]
        pins[canonicalize_name(name_part)] = (Version(version), hashes)
    return pins


def test_every_input_requirement_is_met_by_its_lock():
    for inputs, lock in [("requirements.txt", "requirements.lock"),
                         ("requirements-dev.txt", "requirements-dev.lock")]:
        pins = lock_pins(lock)
        for requirement in input_requirements(inputs):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{inputs} asks for {name}, {lock} lacks it: recompile the lock"
            version = pins[name][0]
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{inputs} asks for {requirement}, {lock} pins {version}: recompile the lock")


def test_both_locks_pin_alike_and_every_pin_has_a_hash():
    site, dev = lock_pins("requirements.lock"), lock_pins("requirements-dev.lock")
    assert len(site) > 50  # the transitive packages are in the lock, not only the inputs
    for name, (version, _) in site.items():
        assert dev[name][0] == version, f"{name}: {version} for the site, {dev[name][0]} for tests"
    for name, (version, hashes) in {**site, **dev}.items():
        assert hashes, f"{name}=={version} has no hash"
    # The torch the lock installs is the local CPU build (README: "Bringing your own torch").
    assert str(site["torch"][0]) == "2.13.0+cpu"
