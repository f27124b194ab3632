"""The committed results folder: typed records, entries written atomically, images, pruning."""
