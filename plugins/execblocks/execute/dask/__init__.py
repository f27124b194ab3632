"""The execute stage on a dask.distributed cluster."""
