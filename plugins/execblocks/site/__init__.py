"""Pelican glue: the reader, the run's session, the results generator, the atomic output
folder, downloads and the runnable bundle, the build entry point."""
