"""Planning and running: keys and freshness, scheduling, one Jupyter kernel per article,
output caps, timeouts, containment, project-write checks, progress."""
