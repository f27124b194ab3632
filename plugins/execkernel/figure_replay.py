"""The dark raster of a figure by replaying the light draw's Agg calls, recoloured.

The dark rendition used to be made by recolouring the figure's artists and drawing it
again (execkernel/renditions.py, runtime._dark_recolouring): a whole second `canvas.draw()`, most of
it Python (ticks, text layout, transforms) that gives the same geometry as the first draw.
Here the first (light) draw is recorded at the lowest level, the C++ `_RendererAgg` every
pixel goes through (draw_path, draw_markers, draw_path_collection, draw_quad_mesh,
draw_image, draw_text_image: text arrives as already-rendered glyph bitmaps), each call
tagged with the artist whose `draw` issued it and snapshotted (a copy of the graphics
context, frozen transforms and clip boxes, copied paths and arrays). The dark raster is
then: apply the same recolouring, read each drawing artist's colours, undo it, clear the
renderer and replay the calls with their colour arguments replaced.

Why the pixels are exactly those of the redraw:

- Every colour argument of a call is computed, for the artist kinds replayed here, by
  one formula of the artist's state, copied from that artist's `draw` (matplotlib 3.11):
  a Text's graphics-context colour is `set_foreground(to_rgba(color))` then
  `set_alpha(alpha)`; a Patch's is its edge colour under its alpha, its face its face
  colour or None when transparent, its hatch colour `get_hatchcolor()`; a Line2D's line,
  marker edge (with the face's alpha when the edge is "auto") and face; a Collection's
  `get_facecolor()`, `get_edgecolor()`, `get_hatchcolor()` arrays; a QuadMesh's flattened
  ones. Each formula is checked against the recorded light call: the formula on the
  unrecoloured state must give the very value Agg received, or the replay declines.
  The same formula on the recoloured state is what the redraw would pass.
- Nothing else in a call depends on colour. The recolouring changes only colours and
  `_dark_colour` keeps every alpha (it maps `to_rgba(c)` to a colour with the same alpha,
  so `to_rgba(_dark_colour(c), alpha) == (dark rgb, same alpha)`); the few places where
  a draw's control flow reads a colour -- a Patch's edge drawn only when opaque, its
  face passed only when not transparent, a Collection drawn as markers when it has one
  colour -- read alphas and counts, which are checked equal before and after.
  Geometry (ticks, layout, text shaping, transforms) reads no colour, and the redraw
  keeps the layout of the first draw, so its calls carry the same paths, transforms,
  clip boxes, line widths and glyph bitmaps as the recorded ones.
- Images and colour-mapped faces are passed through untouched, as the recolouring
  leaves them (an image's data, colour map, norm and alpha are checked unchanged): calls
  are told apart by the artist that made them, not by colour value.
- The colours are those of whatever `recolour` does (runtime._dark_recolouring), read
  from the artists while it is applied, then undone: the replay does not restate its
  rules, only the draws' formulas. It assumes, as its name says, that it changes colours.

It declines (returns a reason; the caller redraws as before) where that argument does
not hold or was not checked: an artist kind whose `draw` is not one of those read for
this (a container -- Figure, Axes, Axis, Tick, Legend, offset boxes -- may issue no call
itself); a call from an artist the recolouring cannot see (a legend's shadow, made during
the draw from its frame's colour); agg filters, path effects, sketch parameters, usetex
text; rasterized artists only if the renderer ever does something for them (on Agg,
start_rasterizing is RendererBase's no-op, so a colorbar's rasterized solids draw as
any other artist); gap colours, half-filled markers, Gouraud shading; a renderer
method the recorder does not know; any formula that does not reproduce the light call.

Kernel-side, like execkernel/renditions.py: matplotlib and numpy are imported inside functions.
"""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

@dataclass
class Call:
    """One recorded _RendererAgg call: its arguments as snapshotted, the artist that made it."""

    method: str
    args: list
    kwargs: dict
    artist: object


@dataclass
class Recording:
    """The calls of one draw, or why they cannot be replayed."""

    calls: list[Call] = field(default_factory=list)
    declined: str | None = None

    def decline(self, reason: str) -> None:
        if self.declined is None:
            self.declined = reason
            self.calls.clear()  # nothing will replay them


class _RecordingAgg:
    """Stands in for a RendererAgg's C++ `_renderer` during one draw: passes every call
    on unchanged (the light raster is drawn as ever) and records the drawing ones."""

    def __init__(self, real, recording: Recording):
        self._real = real
        self._recording = recording
        self._started = False
        self._snapshot = _Snapshots()
        from matplotlib.artist import Artist

        self._artist_type = Artist

    def clear(self):
        if self._started:
            self._recording.decline("the renderer was cleared during the draw")
        return self._real.clear()

    def _record(self, method: str, args: tuple, kwargs: dict):
        recording = self._recording
        self._started = True
        if recording.declined is None:
            try:
                artist = _drawing_artist(sys._getframe(2), self._artist_type)
                snapshot = self._snapshot
                recording.calls.append(Call(method, [snapshot(a) for a in args],
                                            {k: snapshot(v) for k, v in kwargs.items()}, artist))
            except Exception as error:  # noqa: BLE001 - never let recording break the light draw
                recording.decline(f"could not record {method}: {type(error).__name__}: {error}")
        return getattr(self._real, method)(*args, **kwargs)

    def draw_path(self, *args, **kwargs):
        return self._record("draw_path", args, kwargs)

    def draw_markers(self, *args, **kwargs):
        return self._record("draw_markers", args, kwargs)

    def draw_path_collection(self, *args, **kwargs):
        return self._record("draw_path_collection", args, kwargs)

    def draw_quad_mesh(self, *args, **kwargs):
        return self._record("draw_quad_mesh", args, kwargs)

    def draw_image(self, *args, **kwargs):
        return self._record("draw_image", args, kwargs)

    def draw_text_image(self, *args, **kwargs):
        return self._record("draw_text_image", args, kwargs)

    def __getattr__(self, name):  # anything else: done, but not replayable
        real = getattr(self._real, name)  # (RendererAgg binds some at once: wait for a call)
        if not callable(real):
            self._recording.decline(f"unrecorded renderer attribute {name}")
            return real

        def unrecorded(*args, **kwargs):
            self._recording.decline(f"unrecorded renderer method {name}")
            return real(*args, **kwargs)

        return unrecorded


@contextmanager
def recording(canvas):
    """Record the Agg calls of the `canvas.draw()` run inside; yields the Recording."""
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = canvas.get_renderer()  # the one canvas.draw() will use (same size and dpi)
    record = Recording()
    if type(renderer) is not RendererAgg:
        record.decline(f"renderer {type(renderer).__name__}")
        yield record
        return
    real = renderer._renderer
    renderer._renderer = _RecordingAgg(real, record)
    renderer._update_methods()  # its draw_markers etc. are bound to _renderer's methods

    def handing_back(name: str, reason: str):
        """A draw that swaps Agg buffers (an agg filter) or rasterizes: decline, and give
        the renderer back its own buffer at once, so nothing is drawn through the recorder."""
        def method(*args, **kwargs):
            record.decline(reason)
            renderer._renderer = real
            renderer._update_methods()
            return getattr(RendererAgg, name)(renderer, *args, **kwargs)
        return method

    overrides = {"start_filter": handing_back("start_filter", "an agg filter")}
    # Rasterizing is a no-op on Agg (RendererBase's start_rasterizing does nothing: it is
    # for vector renderers); should this renderer ever do something, decline.
    if _rasterizing_draws(RendererAgg):
        overrides["start_rasterizing"] = handing_back("start_rasterizing", "a rasterized artist")
    renderer.__dict__.update(overrides)
    try:
        yield record
    finally:
        for name in overrides:
            renderer.__dict__.pop(name, None)
        renderer._renderer = real
        renderer._update_methods()


def _rasterizing_draws(renderer_class) -> bool:
    """Whether `renderer_class` does anything for a rasterized artist (Agg does not)."""
    from matplotlib.backend_bases import RendererBase

    return any(getattr(renderer_class, name) is not getattr(RendererBase, name)
               for name in ("start_rasterizing", "stop_rasterizing"))


def _drawing_artist(frame, artist_type):
    """The artist whose `draw` method is the innermost one running, or None."""
    while frame is not None:
        if frame.f_code.co_name == "draw":
            candidate = frame.f_locals.get("self")
            return candidate if isinstance(candidate, artist_type) else None
        frame = frame.f_back
    return None


class _Snapshots:
    """Copies of call arguments that later changes to the figure cannot reach. A text's
    glyphs share one graphics context: while it is unchanged, so is its copy."""

    def __init__(self):
        import numpy as np
        from matplotlib.backend_bases import GraphicsContextBase
        from matplotlib.path import Path
        from matplotlib.transforms import BboxBase, Transform

        self._types = np.ndarray, GraphicsContextBase, Path, Transform, BboxBase, np.generic
        self._last_gc = None  # (the gc drawn with, its properties then, their copy)

    def __call__(self, value):
        array, gc_type, path_type, transform, bbox, scalar = self._types
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind is tuple and all(type(v) is float for v in value):  # an RGBA face colour
            return value
        if isinstance(value, array):
            return value.copy()
        if isinstance(value, gc_type):
            last = self._last_gc
            if last is not None and last[0] is value and last[1] == value.__dict__:
                return last[2]
            frozen = _frozen_gc(value)
            self._last_gc = (value, dict(value.__dict__), frozen)
            return frozen
        if isinstance(value, path_type):
            return _frozen_path(value)
        if isinstance(value, transform):  # Agg reads an affine's 3x3 matrix
            return value.get_matrix().copy() if value.is_affine else value.frozen()
        if isinstance(value, bbox):
            return value.frozen()
        if isinstance(value, scalar):
            return value
        if kind in (list, tuple):
            return kind(self(v) for v in value)
        raise TypeError(f"unexpected argument {kind.__name__}")


class _FrozenPath:
    """What Agg reads of a Path (vertices, codes, simplification), copied."""

    __slots__ = ("vertices", "codes", "should_simplify", "simplify_threshold")

    def __init__(self, vertices, codes, should_simplify, simplify_threshold):
        self.vertices, self.codes = vertices, codes
        self.should_simplify, self.simplify_threshold = should_simplify, simplify_threshold


def _frozen_path(path) -> _FrozenPath:
    codes = path.codes
    return _FrozenPath(path.vertices.copy(), None if codes is None else codes.copy(),
                       path.should_simplify, path.simplify_threshold)


def _frozen_gc(gc):
    """A graphics context's properties at one call, its clip box and clip path frozen."""
    cls = _frozen_gc_class()
    frozen = cls.__new__(cls)
    frozen.__dict__.update(gc.__dict__)
    if frozen._cliprect is not None:
        frozen._cliprect = frozen._cliprect.frozen()
    path, transform = gc.get_clip_path()
    frozen._clippath = None
    frozen._frozen_clip = (None, None) if path is None else (
        _frozen_path(path), transform.get_matrix().copy())
    return frozen


def _copied_gc(gc):
    """An independent copy of a frozen graphics context (to recolour one call's)."""
    copy = type(gc).__new__(type(gc))
    copy.__dict__.update(gc.__dict__)
    return copy


@functools.cache  # made on first use: this module imports no matplotlib
def _frozen_gc_class():
    from matplotlib.backend_bases import GraphicsContextBase

    class FrozenGraphicsContext(GraphicsContextBase):
        def get_clip_path(self):
            return self._frozen_clip

    return FrozenGraphicsContext


# -- what each artist kind draws with ---------------------------------------------

@functools.cache
def _kinds() -> tuple[dict, set]:
    """{draw function: kind} for the artists whose calls are replayed, and the draw
    functions of containers, which only draw their children (read for matplotlib 3.11)."""
    return _read_kinds()


def _read_kinds() -> tuple[dict, set]:
    from matplotlib import axis, colorbar, contour, figure, legend, lines, offsetbox, patches, spines, text
    from matplotlib import collections as mcollections
    from matplotlib import image as mimage
    from matplotlib.axes import _base, _secondary_axes

    leaves = {
        text.Text.draw: "text", text.Annotation.draw: "text",
        lines.Line2D.draw: "line", getattr(lines, "AxLine", lines.Line2D).draw: "line",
        patches.Patch.draw: "patch", patches.FancyArrowPatch.draw: "patch",
        patches.ConnectionPatch.draw: "patch", patches.Shadow.draw: "patch",
        spines.Spine.draw: "patch", colorbar._ColorbarSpine.draw: "patch",
        mcollections.Collection.draw: "collection",
        mcollections._CollectionWithSizes.draw: "collection",
        mcollections.RegularPolyCollection.draw: "collection",
        mcollections.EllipseCollection.draw: "collection",
        contour.ContourSet.draw: "collection",  # Collection.draw when unhatched (checked)
        mcollections.QuadMesh.draw: "quadmesh",
        mimage._ImageBase.draw: "image",
    }
    containers = {
        figure.Figure.draw, _base._AxesBase.draw, axis.Axis.draw, axis.Tick.draw, legend.Legend.draw,
        _secondary_axes.SecondaryAxis.draw,  # sets its limits and scale from its parent's
        offsetbox.OffsetBox.draw, offsetbox.DrawingArea.draw, offsetbox.TextArea.draw,
    }
    return leaves, containers


# Which _RendererAgg methods each kind's draw calls.
_METHODS_OF_KIND = {
    "text": {"draw_text_image", "draw_path"},  # glyphs; mathtext's rules (fraction bars)
    "line": {"draw_path", "draw_markers"},
    "patch": {"draw_path"},
    "collection": {"draw_markers", "draw_path_collection"},
    "quadmesh": {"draw_quad_mesh"},
    "image": {"draw_image"},
}


def _unreplayable(artist, kind: str | None) -> str | None:
    """Why this artist's drawing is not covered by the replay, or None."""
    if kind is None:
        return f"an artist kind not read for replay: {type(artist).__name__}"
    if artist.get_agg_filter() is not None:
        return f"an agg filter on {type(artist).__name__}"
    if artist.get_path_effects():
        return f"path effects on {type(artist).__name__}"
    if artist.get_sketch_params() is not None:
        return f"sketch parameters on {type(artist).__name__}"
    if kind == "text" and artist.get_usetex():
        return "usetex text"
    if kind == "line" and (artist.get_gapcolor() is not None
                           or artist._marker.get_fillstyle() not in ("full", "none")):
        return "a line with a gap colour or half-filled markers"
    if kind in ("patch", "collection") and getattr(artist, "_gapcolor", None) is not None:
        return f"a gap colour on {type(artist).__name__}"
    if getattr(artist, "filled", False) and any(h is not None for h in getattr(artist, "hatches", ())):
        return "hatched filled contours (drawn one level at a time with borrowed colours)"
    if kind == "quadmesh" and getattr(artist, "_shading", None) == "gouraud":
        return "Gouraud shading"
    return None


def _colours(artist, kind: str) -> dict:
    """The colour arguments `artist`'s draw passes to Agg, by the draw's own formulas."""
    import numpy as np
    from matplotlib import cbook
    from matplotlib.backend_bases import GraphicsContextBase
    from matplotlib.colors import to_rgba

    if kind == "text":
        gc = GraphicsContextBase()
        gc.set_foreground(to_rgba(artist.get_color()), isRGBA=True)
        gc.set_alpha(artist.get_alpha())
        rule = gc.get_rgb()  # RendererAgg._draw_text_glyphs_and_boxes' box colour
        if len(rule) == 3 or gc.get_forced_alpha():
            rule = rule[:3] + (gc.get_alpha(),)
        return {"rgb": gc._rgb, "rule_face": rule}
    if kind == "line":
        alpha = artist._alpha
        edge = to_rgba(artist.get_markeredgecolor(), alpha)
        face = to_rgba(artist._get_markerfacecolor(), alpha)
        if (cbook._str_equal(artist._markeredgecolor, "auto")
                and not cbook._str_lower_equal(artist.get_markerfacecolor(), "none")):
            edge = edge[:3] + (face[3],)
        return {"rgb": to_rgba(artist._color, alpha), "marker_rgb": edge, "marker_face": face}
    if kind == "patch":
        gc = GraphicsContextBase()
        gc.set_alpha(artist._alpha)
        gc.set_foreground(artist._edgecolor, isRGBA=True)
        face = artist._facecolor if artist._facecolor[3] else None
        hatch = to_rgba(artist.get_hatchcolor()) if artist._hatch else None
        return {"rgb": gc._rgb, "face": face, "hatch": hatch, "edge_alpha": artist._edgecolor[3]}
    if kind == "collection":
        artist.update_scalarmappable()  # as its draw does first
        return {"faces": np.array(artist.get_facecolor(), float),
                "edges": np.array(artist.get_edgecolor(), float),
                "hatches": np.array(artist.get_hatchcolor(), float)}
    if kind == "quadmesh":
        artist.update_scalarmappable()
        return {"faces": np.array(artist.get_facecolor(), float).reshape((-1, 4)),
                "edges": np.array(artist.get_edgecolors(), float).reshape((-1, 4))}
    # An image's pixels come from its data, colour map, norm and alpha: replayed as
    # recorded, so the recolouring must have left those alone (it does; checked).
    return {"look": (id(artist.get_array()), id(artist.get_cmap()), id(artist.norm), artist.get_alpha())}


def _same(a, b) -> bool:
    import numpy as np

    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _alphas_kept(light: dict, dark: dict, kind: str) -> bool:
    """Whether the recolouring kept what a draw's control flow reads of its colours."""
    import numpy as np

    if kind == "patch":
        return ((light["face"] is None) == (dark["face"] is None)
                and (light["edge_alpha"] == 0) == (dark["edge_alpha"] == 0))
    if kind in ("collection", "quadmesh"):
        return all(np.shape(light[k]) == np.shape(dark[k]) for k in light)
    if kind == "image":
        return light["look"] == dark["look"]
    return True


def _recoloured_call(call: Call, kind: str, light: dict, dark: dict) -> Call | None:
    """The call with the dark colours in place of the light ones; None when the recorded
    colours are not what the formulas give (then the model does not hold: decline)."""
    args, kwargs = list(call.args), dict(call.kwargs)
    method = call.method

    def swap_gc(index, key, slot="_rgb"):
        gc = args[index]
        if not _same(getattr(gc, slot), light[key]):
            return False
        args[index] = gc = _copied_gc(gc)  # the recorded one may be shared by calls
        setattr(gc, slot, dark[key])
        return True

    def swap_arg(index, key, row=None):
        value = args[index] if index < len(args) else None
        expected = light[key] if row is None else tuple(light[key][row])
        if not _same(value, expected):
            return False
        args[index] = dark[key] if row is None else tuple(dark[key][row])
        return True

    if kind == "text":
        if method == "draw_text_image":
            ok = swap_gc(4, "rgb")
        else:  # a mathtext rule: a filled box, its own fresh gc with no stroke
            ok = len(args) == 4 and swap_arg(3, "rule_face")
    elif kind == "line":
        if method == "draw_path":
            ok = (len(args) < 4 or args[3] is None) and swap_gc(0, "rgb")
        else:
            ok = swap_gc(0, "marker_rgb") and swap_arg(5, "marker_face")
    elif kind == "patch":
        face = args[3] if len(args) > 3 else None
        ok = swap_gc(0, "rgb") and (face is None or swap_arg(3, "face"))
        if ok and light["hatch"] is not None:
            ok = swap_gc(0, "hatch", "_hatch_color")
    elif kind == "collection":
        if method == "draw_markers":
            ok = _swap_marker_collection(args, light, dark)
        else:
            ok = swap_arg(6, "faces") and swap_arg(7, "edges")
            if ok and "hatchcolors" in kwargs:
                ok = _same(kwargs["hatchcolors"], light["hatches"])
                kwargs["hatchcolors"] = dark["hatches"]
    elif kind == "quadmesh":
        ok = swap_arg(7, "faces") and swap_arg(9, "edges")
    else:  # images: nothing the recolouring touches
        ok = True
    return Call(method, args, kwargs, call.artist) if ok else None


def _swap_marker_collection(args, light, dark) -> bool:
    """A one-path, one-colour Collection drawn as markers: edge colour 0 in the gc,
    face colour 0 as the marker face."""
    gc = args[0]
    if not (_same(gc._rgb, tuple(light["edges"][0])) and _same(args[5], tuple(light["faces"][0]))):
        return False
    args[0] = gc = _copied_gc(gc)
    gc._rgb = tuple(dark["edges"][0])
    args[5] = tuple(dark["faces"][0])
    return True


@dataclass(frozen=True)
class Replay:
    """What a replay did: `declined` says why it drew nothing (None: the dark raster is
    on the renderer); `background` is the recoloured figure's face colour, which a crop
    reaching past the canvas pads with (as the redraw's crop does)."""

    declined: str | None
    background: tuple | None = None


def replay_dark(figure, renderer, record: Recording, recolour) -> Replay:
    """Draw the dark raster onto `renderer` from `record` (the light draw's calls), or
    decline and leave the renderer untouched. `recolour(figure, artists)` recolours the figure in
    place and returns its undo."""
    if record.declined is not None:
        return Replay(record.declined)
    leaves, containers = _kinds()
    known: dict[int, str | None] = {}  # id(artist) -> kind ("" for containers)
    extras = []
    artists = figure.findobj()
    for artist in artists:
        draw = type(artist).draw
        kind = leaves.get(draw, "" if draw in containers else None)
        if kind:
            reason = _unreplayable(artist, kind)
            if reason:
                return Replay(reason)
        elif kind is None:
            return Replay(f"an artist kind not read for replay: {type(artist).__name__}")
        known[id(artist)] = kind
        # Drawn by their Text but not its children: an annotation's box and arrow.
        if leaves.get(draw) == "text":
            extras += [getattr(artist, "_bbox_patch", None), getattr(artist, "arrow_patch", None)]
    for extra in extras:
        if extra is not None and id(extra) not in known:
            kind = leaves.get(type(extra).draw)
            reason = _unreplayable(extra, kind)
            if reason:
                return Replay(reason)
            known[id(extra)] = kind

    drawing = {}
    for call in record.calls:
        kind = known.get(id(call.artist)) if call.artist is not None else None
        if not kind:
            name = type(call.artist).__name__ if call.artist is not None else "no artist"
            return Replay(f"{call.method} from {name}, which the recolouring does not reach")
        if call.method not in _METHODS_OF_KIND[kind]:
            return Replay(f"{call.method} from a {kind} ({type(call.artist).__name__})")
        drawing[id(call.artist)] = (call.artist, kind)

    light = {key: _colours(artist, kind) for key, (artist, kind) in drawing.items()}
    # The recolouring gets the list just made (nothing has changed since), not a second
    # walk (Axis.get_children runs the tick locators).
    undo = recolour(figure, artists)
    try:
        dark = {key: _colours(artist, kind) for key, (artist, kind) in drawing.items()}
        background = tuple(figure.patch.get_facecolor())
    finally:
        undo()
    for key, (artist, kind) in drawing.items():
        if not _alphas_kept(light[key], dark[key], kind):
            return Replay(f"the recolouring changed what {type(artist).__name__}'s draw decides by")

    calls = []
    for call in record.calls:
        kind = known[id(call.artist)]
        recoloured = _recoloured_call(call, kind, light[id(call.artist)], dark[id(call.artist)])
        if recoloured is None:
            return Replay(f"{call.method} from {type(call.artist).__name__} has colours its formula does not give")
        calls.append(recoloured)

    real = renderer._renderer
    renderer.clear()
    for call in calls:
        getattr(real, call.method)(*call.args, **call.kwargs)
    return Replay(None, background)
