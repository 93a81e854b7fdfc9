r"""The staircase graph: in which order each family of algorithms learns a target's directions.

A multi-index target y = g(z), z = W x in R^r, is learned one subspace at a time: starting
from S_0 = {0}, an algorithm adds the directions it can see given what it already knows,
S_0 ⊂ S_1 ⊂ ... (THEORY.md §4). The order k of a step is the lowest Hermite order
(probabilists' He_k, E[He_j He_k] = k! delta_jk) at which the new directions show up, and
the largest order along the path, the leap, sets the polynomial sample complexity. Which
directions are visible depends on what the algorithm may query, so each family of
algorithms has its own filtration (computed in :mod:`derive.leap`):

- ``"correlational"``: correlational statistical queries (CSQ) and online SGD; the
  rotation-invariant information-leap filtration (Damian, Lee, Bruna 2025,
  arXiv:2506.05500, Def. 5; the isoLeap of Abbe, Boix-Adserà, Misiakiewicz 2023,
  arXiv:2302.11055). A target whose path only takes steps of order 1 has the
  merged-staircase property (Abbe, Boix-Adserà, Misiakiewicz, COLT 2022,
  arXiv:2202.08658) and, for instance, z1 + z1 z2 + z1 z2 z3 climbs e1, e2, e3 one at a
  time; online SGD is conjectured to take time Theta~(d^max(Leap, 2)) (Abbe et al. 2023);
- ``"generative"``: general statistical queries (SQ), and SGD that reuses its batches
  (Dandi et al. ICML 2024, arXiv:2402.03220; Arnaboldi et al. 2024, arXiv:2405.15459); the
  generative-leap filtration of the same paper, which conditions on y itself, so its leap is
  at most the information leap (z1 z2 z3: 2 instead of 3);
  efficient algorithms need n = Theta(d^max(1, k*/2)) samples, k* the generative leap;
- ``"giant-step"``: repeated gradient steps with batch n = Theta(d) each (Dandi, Krzakala,
  Loureiro, Pesce, Stephan, JMLR 2024, arXiv:2305.18270); only order-1 steps exist (the
  first-order conditional Hermite coefficient given what is learned), so the
  path stops where no remaining direction is linearly coupled to the learned ones
  (z1 + z2 z3 stops at span(e1)).

Nodes of the graph are learned subspaces, keyed by a canonical form (the reduced row echelon
form of a basis), so that a subspace reached by several families is one node; edges are
steps, one per family. The graph is a :class:`networkx.MultiDiGraph` whose edge keys are
the family names, because two families often take the same step.

>>> from derive.target import parse_target
>>> t = parse_target("z1 + z1*z2 + z1*z2*z3")
>>> graph = staircase_graph(filtrations_by_family(t.expression, t.variables), 3)
>>> [graph.nodes[n]["label"] for n in family_path(graph, "correlational")]
['{0}', 'span(e1)', 'span(e1, e2)', 'span(e1, e2, e3)']
>>> sorted({d["label"] for _, _, d in graph.edges(data=True) if d["family"] != "generative"})
['k=1 CSQ', 'k=1 giant step']

Exports: :func:`to_json` (node-link JSON), :func:`to_dot` (Graphviz text), :func:`to_tikz`
(a ``tikzpicture`` for LaTeX reports) and :func:`to_png` (matplotlib, optional extra
``plot``).
"""

from __future__ import annotations

import inspect
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import networkx
import sympy

from .errors import DeriveError
from .latex import escape as latex_escape
from .leap import (
    DEFAULT_MAX_ORDER,
    Filtration,
    generative_filtration,
    information_filtration,
    linear_batch_giant_steps,
)

ZERO_KEY = "span[]"
#: Subspaces whose orthogonal projectors agree to this tolerance are the same node, even if
#: sympy printed their exact echelon forms differently.
MERGE_TOLERANCE = 1e-9
#: A combination label longer than this becomes "dim k".
MAX_LABEL_LENGTH = 40


@dataclass(frozen=True)
class FamilyStyle:
    """How a family of algorithms is named and drawn."""

    short: str  # in edge labels: "k=1 CSQ"
    legend: str  # ASCII, one line
    color: str  # hex RGB, shared by DOT, TikZ and PNG
    dot_style: str
    tikz_style: str
    mpl_style: object


FAMILIES: dict[str, FamilyStyle] = {
    "correlational": FamilyStyle(
        "CSQ", "correlational: CSQ / online SGD (information leap)",
        "1F4DA6", "solid", "solid", "-",
    ),
    "generative": FamilyStyle(
        "SQ", "generative: SQ / batch reuse (generative leap)",
        "BF3326", "dashed", "dashed", "--",
    ),
    "giant-step": FamilyStyle(
        "giant step", "giant steps: GD with batch n = O(d) per step",
        "268033", "dotted", "densely dotted", ":",
    ),
}
_EXTRA_STYLES = (
    ("6B3FA0", "bold", "dash dot", "-."),
    ("B36B00", "dashed,bold", "loosely dashed", (0, (6, 3))),
    ("404040", "dotted,bold", "dash dot dot", (0, (3, 1, 1, 1, 1, 1))),
)

# layout, in centimetres (TikZ) or data units (PNG)
_LAYER_SEPARATION = 3.6
_NODE_SEPARATION = 2.0


def family_style(family: str, rank: int = 0) -> FamilyStyle:
    """The style of a family; unknown families get the ``rank``-th spare style.

    >>> family_style("generative").short
    'SQ'
    >>> family_style("my-algorithm", 0).short
    'my-algorithm'
    """
    if family in FAMILIES:
        return FAMILIES[family]
    color, dot, tikz, mpl = _EXTRA_STYLES[rank % len(_EXTRA_STYLES)]
    return FamilyStyle(family, family, color, dot, tikz, mpl)


def filtrations_by_family(
    expr, variables, max_order: int = DEFAULT_MAX_ORDER
) -> dict[str, Filtration]:
    """The three filtrations of :mod:`derive.leap`, keyed by algorithm family.

    >>> from derive.target import parse_target
    >>> t = parse_target("z1*z2*z3")
    >>> {k: f.leap for k, f in filtrations_by_family(t.expression, t.variables).items()}
    {'correlational': 3, 'generative': 2, 'giant-step': None}
    """
    return {
        "correlational": information_filtration(expr, variables, max_order),
        "generative": generative_filtration(expr, variables, max_order),
        "giant-step": linear_batch_giant_steps(expr, variables),
    }


# --- canonical subspaces -----------------------------------------------------------------


def _simplify(x) -> sympy.Expr:
    return sympy.radsimp(sympy.simplify(sympy.sympify(x)))


def echelon_rows(vectors, dimension: int) -> list[list[sympy.Expr]]:
    """The reduced row echelon form of span(vectors): the canonical basis of a subspace.

    >>> echelon_rows([[0, 1], [1, 1]], 2)
    [[1, 0], [0, 1]]
    >>> echelon_rows([[sympy.sqrt(2)/2, sympy.sqrt(2)/2]], 2)
    [[1, 1]]
    """
    rows = [list(v) for v in vectors]
    for v in rows:
        if len(v) != dimension:
            raise DeriveError(f"a basis vector has {len(v)} entries, expected {dimension}")
    if not rows:
        return []
    reduced, pivots = sympy.Matrix(rows).applyfunc(_simplify).rref(simplify=True)
    return [[_simplify(reduced[i, j]) for j in range(dimension)] for i in range(len(pivots))]


def subspace_key(rows: list[list[sympy.Expr]]) -> str:
    """A node id: the echelon rows printed exactly, ``span[]`` for the zero subspace.

    >>> subspace_key([[1, 0, 0], [0, 1, 0]])
    'span[(1, 0, 0), (0, 1, 0)]'
    >>> subspace_key([])
    'span[]'
    """
    return "span[" + ", ".join("(" + ", ".join(str(x) for x in row) + ")" for row in rows) + "]"


def subspace_label(rows: list[list[sympy.Expr]]) -> str:
    """A short label: ``{0}``, ``span(e1, e3)``, ``span(e1 + e2)``, or ``dim k``.

    Coordinate vectors e_i are recognised; other rational directions are written as integer
    combinations of them when that stays short; anything else is named by its dimension.

    >>> subspace_label([])
    '{0}'
    >>> subspace_label([[1, 0, 0], [0, 0, 1]])
    'span(e1, e3)'
    >>> subspace_label([[1, 0, -sympy.Rational(1, 2)]])
    'span(2e1 - e3)'
    >>> subspace_label([[1, sympy.sqrt(2)]])
    'dim 1'
    """
    if not rows:
        return "{0}"
    if not all(sympy.sympify(x).is_Rational for row in rows for x in row):
        return f"dim {len(rows)}"
    label = "span(" + ", ".join(_combination(row) for row in rows) + ")"
    return label if len(label) <= MAX_LABEL_LENGTH else f"dim {len(rows)}"


def _combination(row) -> str:
    values = [sympy.Rational(x) for x in row]
    scale = math.lcm(*(int(v.q) for v in values))
    integers = [int(v * scale) for v in values]
    common = math.gcd(*integers)
    out = ""
    for i, c in enumerate(integers, start=1):
        c //= common
        if c == 0:
            continue
        magnitude = "" if abs(c) == 1 else str(abs(c))
        sign = ("-" if c < 0 else "") if not out else (" - " if c < 0 else " + ")
        out += f"{sign}{magnitude}e{i}"
    return out


def _orthonormal_strings(rows) -> list[list[str]]:
    if not rows:
        return []
    basis = sympy.GramSchmidt([sympy.Matrix(r) for r in rows], True)
    return [[str(_simplify(x)) for x in v] for v in basis]


def _projector(rows):
    import numpy

    if not rows:
        return None
    q, _ = numpy.linalg.qr(numpy.array([[float(x) for x in r] for r in rows]).T)
    return q @ q.T


# --- the graph ---------------------------------------------------------------------------


def _family_rank(families) -> dict[str, int]:
    known = [f for f in FAMILIES if f in families]
    others = sorted(f for f in families if f not in FAMILIES)
    return {f: i for i, f in enumerate(known + others)}


def staircase_graph(filtrations: dict[str, Filtration], dimension: int) -> networkx.MultiDiGraph:
    """The learning order of each family as one graph of learned subspaces.

    ``filtrations`` maps an algorithm family (``"correlational"``, ``"generative"``,
    ``"giant-step"``, or any name of your own) to its :class:`~derive.leap.Filtration`;
    ``dimension`` is r, the number of index directions. The result is a
    :class:`networkx.MultiDiGraph`:

    - nodes are subspaces of R^r, keyed by :func:`subspace_key` of their reduced row echelon
      form, starting from ``span[]`` = {0}; attributes ``dimension`` (int), ``basis`` (an
      orthonormal basis of the whole learned subspace, exact, as lists of str), ``label``
      (``{0}``, ``span(e1, e2)``, ``dim 2``) and ``reached_by`` (families, sorted);
    - an edge S_i -> S_{i+1} per family and step, with key the family name and attributes
      ``family``, ``order`` (the k of the step), ``dimension_added``, ``step`` (1, 2, ...),
      ``certificate`` (the certificate kind of :mod:`derive.leap`) and ``label``
      (``k=1 CSQ``);
    - graph attributes ``dimension`` and ``families``: per family its filtration name, leap
      (None when undetermined or incomplete), ``complete``, ``learned_dimension``,
      ``effective_dimension`` and ``undetermined``. A family whose path ends short of the
      effective dimension (giant steps on z1 + z2 z3) has ``complete`` False.

    >>> from derive.target import parse_target
    >>> t = parse_target("z1*z2*z3")
    >>> g = staircase_graph(filtrations_by_family(t.expression, t.variables), 3)
    >>> sorted((g.nodes[u]["label"], g.nodes[v]["label"], d["label"])
    ...        for u, v, d in g.edges(data=True))
    [('{0}', 'span(e1, e2, e3)', 'k=2 SQ'), ('{0}', 'span(e1, e2, e3)', 'k=3 CSQ')]
    >>> g.graph["families"]["giant-step"]["complete"]
    False
    """
    if not isinstance(dimension, int) or dimension < 1:
        raise DeriveError(f"the index dimension must be a positive integer, got {dimension!r}")
    ranks = _family_rank(filtrations)
    graph = networkx.MultiDiGraph(dimension=dimension, families={})
    projectors: dict[str, object] = {}

    def add_node(rows) -> str:
        key = subspace_key(rows)
        if key not in graph:
            projector = _projector(rows)
            for other, p in projectors.items():
                same_dimension = graph.nodes[other]["dimension"] == len(rows)
                if same_dimension and (p is None or abs(p - projector).max() < MERGE_TOLERANCE):
                    return other
            projectors[key] = projector
            graph.add_node(
                key,
                dimension=len(rows),
                basis=_orthonormal_strings(rows),
                label=subspace_label(rows),
                reached_by=[],
            )
        return key

    add_node([])
    for family in sorted(filtrations, key=ranks.__getitem__):
        filtration = filtrations[family]
        style = _style_of(family, ranks)
        learned: list = []
        current = ZERO_KEY
        _mark(graph, current, family)
        for index, step in enumerate(filtration.steps, start=1):
            learned = learned + [list(v) for v in step.basis]
            rows = echelon_rows(learned, dimension)
            if len(rows) != len(learned):
                raise DeriveError(
                    f"{family} step {index} adds directions that are already learned "
                    f"(rank {len(rows)} after {len(learned)} basis vectors)"
                )
            target = add_node(rows)
            _mark(graph, target, family)
            graph.add_edge(
                current,
                target,
                key=family,
                family=family,
                order=int(step.order),
                dimension_added=int(step.dimension_added),
                step=index,
                certificate=step.certificate.label,
                label=f"k={int(step.order)} {style.short}",
            )
            current = target
        graph.graph["families"][family] = {
            "name": filtration.name,
            "leap": filtration.leap,
            "complete": filtration.complete,
            "learned_dimension": int(filtration.learned_dimension),
            "effective_dimension": int(filtration.effective_dimension),
            "undetermined": filtration.undetermined,
        }
    return graph


def _mark(graph, node, family):
    reached = graph.nodes[node]["reached_by"]
    if family not in reached:
        reached.append(family)
        reached.sort()


def family_path(graph: networkx.MultiDiGraph, family: str) -> list[str]:
    """The nodes a family visits, from {0} to where it stops.

    >>> from derive.target import parse_target
    >>> t = parse_target("z1 + z2*z3")
    >>> g = staircase_graph(filtrations_by_family(t.expression, t.variables), 3)
    >>> [g.nodes[n]["label"] for n in family_path(g, "giant-step")]
    ['{0}', 'span(e1)']
    """
    if family not in graph.graph.get("families", {}):
        raise DeriveError(f"no family {family!r} in this staircase graph")
    path = [ZERO_KEY]
    while True:
        nxt = [v for _, v, k in graph.out_edges(path[-1], keys=True) if k == family]
        if not nxt:
            return path
        path.append(nxt[0])


# --- exports -----------------------------------------------------------------------------


def _ordered(graph):
    """Nodes by (dimension, label, key); edges by source, target, family; the families."""
    attrs = graph.nodes
    nodes = sorted(graph.nodes, key=lambda n: (attrs[n]["dimension"], attrs[n]["label"], n))
    position = {n: i for i, n in enumerate(nodes)}
    families = set(graph.graph.get("families", {}))
    families |= {d.get("family", k) for _, _, k, d in graph.edges(keys=True, data=True)}
    ranks = _family_rank(families)
    edges = sorted(
        graph.edges(keys=True, data=True),
        key=lambda e: (position[e[0]], position[e[1]], ranks[e[3].get("family", e[2])], str(e[2])),
    )
    return nodes, edges, ranks, sorted(families, key=ranks.__getitem__)


def _style_of(family, ranks):
    """Known families keep their style; the others take spare styles in rank order."""
    spare = ranks.get(family, 0) - len([f for f in FAMILIES if f in ranks])
    return family_style(family, max(spare, 0))


def _link_keywords() -> dict:
    # networkx >= 3.4 names the edge list with ``edges=``; older versions with ``link=``
    if "edges" in inspect.signature(networkx.node_link_data).parameters:
        return {"edges": "edges"}
    return {"link": "edges"}


def to_json(graph: networkx.MultiDiGraph) -> str:
    """Node-link JSON (string node ids, edges under ``"edges"``), in a fixed order.

    Read it back with :func:`from_json`, or ``networkx.node_link_graph(json.loads(text),
    edges="edges")`` (``link="edges"`` before networkx 3.4).

    >>> from derive.target import parse_target
    >>> t = parse_target("z1 + z1*z2")
    >>> g = staircase_graph(filtrations_by_family(t.expression, t.variables), 2)
    >>> data = json.loads(to_json(g))
    >>> [n["label"] for n in data["nodes"]]
    ['{0}', 'span(e1)', 'span(e1, e2)']
    >>> networkx.is_isomorphic(from_json(to_json(g)), g)
    True
    """
    nodes, edges, _, _ = _ordered(graph)
    ordered = networkx.MultiDiGraph(**graph.graph)
    ordered.add_nodes_from((n, graph.nodes[n]) for n in nodes)
    ordered.add_edges_from((u, v, k, d) for u, v, k, d in edges)
    data = networkx.node_link_data(ordered, **_link_keywords())
    return json.dumps(data, indent=2, sort_keys=True)


def from_json(text: str) -> networkx.MultiDiGraph:
    """The graph written by :func:`to_json`."""
    keywords = _link_keywords()
    return networkx.node_link_graph(json.loads(text), directed=True, multigraph=True, **keywords)


def _dot_quote(text) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: networkx.MultiDiGraph) -> str:
    """Graphviz DOT text, written directly (no pygraphviz), left to right by dimension.

    Nodes of equal dimension share a rank; edges carry their family's colour and line
    style; every id and label is quoted. Render with ``dot -Tpdf staircase.dot``.

    >>> from derive.target import parse_target
    >>> t = parse_target("z1 + z1*z2")
    >>> g = staircase_graph(filtrations_by_family(t.expression, t.variables), 2)
    >>> print(to_dot(g).splitlines()[5])
      "span[]" [label="{0}", tooltip="dim 0"];
    """
    nodes, edges, ranks, _ = _ordered(graph)
    lines = [
        "digraph staircase {",
        "  graph [rankdir=LR, nodesep=0.4, ranksep=1.2];",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        "",
    ]
    for n in nodes:
        attrs = graph.nodes[n]
        tooltip = f"dim {attrs['dimension']}" + "".join(
            f"\n({', '.join(v)})" for v in attrs["basis"]
        )
        lines.append(f"  {_dot_quote(n)} [label={_dot_quote(attrs['label'])}, "
                     f"tooltip={_dot_quote(tooltip)}];")
    lines.append("")
    for u, v, key, data in edges:
        style = _style_of(data.get("family", key), ranks)
        lines.append(
            f"  {_dot_quote(u)} -> {_dot_quote(v)} [label={_dot_quote(data['label'])}, "
            f'color="#{style.color}", fontcolor="#{style.color}", style="{style.dot_style}"];'
        )
    layers: dict[int, list[str]] = {}
    for n in nodes:
        layers.setdefault(graph.nodes[n]["dimension"], []).append(n)
    same = [members for _, members in sorted(layers.items()) if len(members) > 1]
    if same:
        lines.append("")
    for members in same:
        lines.append("  { rank=same; " + " ".join(_dot_quote(n) + ";" for n in members) + " }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _layout(graph, nodes):
    """Columns by dimension (empty dimensions skipped), each column centred vertically."""
    dimensions = sorted({graph.nodes[n]["dimension"] for n in nodes})
    column = {d: i for i, d in enumerate(dimensions)}
    members: dict[int, list[str]] = {}
    for n in nodes:
        members.setdefault(graph.nodes[n]["dimension"], []).append(n)
    position = {}
    for d, group in members.items():
        for j, n in enumerate(group):
            height = ((len(group) - 1) / 2 - j) * _NODE_SEPARATION
            position[n] = (column[d] * _LAYER_SEPARATION, height)
    return position, column


_BULGE = 0.587  # a quadratic arc with control point rad*L off the chord ~ TikZ's bend


def _arc_point(p0, p1, bend: float, t: float):
    """The point at ``t`` of the quadratic arc from p0 to p1 bulging ``bend`` degrees left."""
    (x0, y0), (x1, y1) = p0, p1
    rad = _BULGE * math.sin(math.radians(bend))
    cx, cy = (x0 + x1) / 2 - rad * (y1 - y0), (y0 + y1) / 2 + rad * (x1 - x0)
    return ((1 - t) ** 2 * x0 + 2 * t * (1 - t) * cx + t * t * x1,
            (1 - t) ** 2 * y0 + 2 * t * (1 - t) * cy + t * t * y1)


def _half_width(graph, node) -> float:
    return 0.2 + 0.065 * len(graph.nodes[node]["label"])


def _clearance(graph, position, between, p0, p1, bend) -> float:
    """Smallest gap between an arc and the node boxes in its way (negative: it hits one)."""
    points = [_arc_point(p0, p1, bend, i / 24) for i in range(25)]
    return min(
        (max(abs(x - position[n][0]) - _half_width(graph, n), abs(y - position[n][1]) - 0.35)
         for n in between for x, y in points),
        default=math.inf,
    )


def _bends(graph, nodes, edges, position):
    """Bend angle (degrees, positive = to the left of travel, i.e. upwards) of each edge.

    An edge is straight unless a node lies in its way; then it arcs to whichever side
    clears the nodes in between. Parallel edges (several families taking the same step) fan
    out around that arc.
    """
    groups: dict[tuple, list] = {}
    for u, v, key, _ in edges:
        groups.setdefault((u, v), []).append(key)
    bends = {}
    for (u, v), keys in groups.items():
        p0, p1 = position[u], position[v]
        between = [n for n in nodes if n not in (u, v)
                   and min(p0[0], p1[0]) < position[n][0] < max(p0[0], p1[0])]

        candidates = (0.0, 20.0, -20.0, 35.0, -35.0, 50.0, -50.0)
        clearance = {b: _clearance(graph, position, between, p0, p1, b) for b in candidates}
        base = next((b for b in candidates if clearance[b] > 0.2), None)
        if base is None:
            base = max(candidates, key=lambda b: (clearance[b], b))
        # two parallel edges at +-12 degrees, three or more spread over +-35 degrees
        half = 0.0 if len(keys) == 1 else (12.0 if len(keys) == 2 else 35.0)
        for i, key in enumerate(keys):
            offset = 0.0 if len(keys) == 1 else half * (1 - 2 * i / (len(keys) - 1))
            bends[(u, v, key)] = base + offset
    return bends


def _visible_part(graph, position, u, v) -> tuple[float, float]:
    """Fractions of the centre-to-centre chord where it leaves u's box and enters v's."""
    (x0, y0), (x1, y1) = position[u], position[v]
    dx, dy = abs(x1 - x0), abs(y1 - y0)

    def inside(node):
        return min(_half_width(graph, node) / dx if dx else math.inf,
                   0.35 / dy if dy else math.inf)

    start, end = inside(u), 1 - inside(v)
    return (start, end) if end - start > 0.1 else (0.0, 1.0)


def _label_places(graph, nodes, edges, position, bends):
    """Where each edge label goes: (pos on the visible edge, on its left?, centre).

    Greedy: each label takes the first spot, from the middle of the visible part of its
    edge outwards, on the side the edge bulges to (then the other side), that overlaps
    neither a node nor a label placed before it; failing that, the spot with the least
    overlap. ``pos`` is measured between the node borders, as TikZ measures it.
    """
    boxes = [(position[n][0], position[n][1], _half_width(graph, n), 0.35) for n in nodes]
    places = {}
    for u, v, key, data in edges:
        p0, p1 = position[u], position[v]
        bend = bends[(u, v, key)]
        length = math.hypot(p1[0] - p0[0], p1[1] - p0[1]) or 1.0
        normal = (-(p1[1] - p0[1]) / length, (p1[0] - p0[0]) / length)  # left of travel
        half_width, half_height = 0.06 * len(data["label"]) + 0.08, 0.17
        start, end = _visible_part(graph, position, u, v)
        best = None
        for left in ((bend >= 0), (bend < 0)):
            for pos in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78):
                x, y = _arc_point(p0, p1, bend, start + pos * (end - start))
                # push the centre off the curve by the label's extent along the normal
                push = (abs(normal[0]) * half_width + abs(normal[1]) * half_height + 0.06)
                push = push if left else -push
                cx, cy = x + push * normal[0], y + push * normal[1]
                overlap = sum(
                    max(0.0, min(cx + half_width, bx + bw) - max(cx - half_width, bx - bw))
                    * max(0.0, min(cy + half_height, by + bh) - max(cy - half_height, by - bh))
                    for bx, by, bw, bh in boxes
                )
                if best is None or overlap < best[0] - 1e-12:
                    best = (overlap, pos, left, (cx, cy))
                if overlap == 0.0:
                    break
            if best[0] == 0.0:
                break
        _, pos, left, centre = best
        places[(u, v, key)] = (pos, left, centre)
        boxes.append((centre[0], centre[1], half_width, half_height))
    return places


def _letters(i: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'ba': distinct names made of letters."""
    out = ""
    while True:
        i, digit = divmod(i, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[digit] + out
        if i == 0:
            return out


def _tikz_text(label: str) -> str:
    # escape first, so that only our own markup is LaTeX; then e12 -> $e_{12}$
    return re.sub(r"\be(\d+)\b", r"$e_{\1}$", latex_escape(label))


def to_tikz(graph: networkx.MultiDiGraph) -> str:
    r"""A standalone ``tikzpicture`` of the staircase, for LaTeX reports.

    Requires ``\usepackage{tikz}`` and ``\usetikzlibrary{arrows.meta}`` in the preamble
    (``positioning`` is not needed; loading it as well is harmless). Nodes are placed left to
    right by dimension, one column per dimension that occurs (labelled ``dim k`` underneath),
    nodes of equal dimension stacked; each edge is labelled with its order and family
    (``$k=1$ CSQ``), each family has its own colour and line style (solid, dashed, dotted, ...),
    and a legend lists the families. All label text is LaTeX-escaped. Columns are 3.6 cm
    apart, so a full three-step staircase is about 14 cm wide; in a narrow column wrap the
    picture in ``\resizebox{\linewidth}{!}{...}`` (graphicx).

    >>> from derive.target import parse_target
    >>> t = parse_target("z1*z2*z3")
    >>> tikz = to_tikz(staircase_graph(filtrations_by_family(t.expression, t.variables), 3))
    >>> tikz.splitlines()[0]
    '\\begin{tikzpicture}['
    >>> line = [line for line in tikz.splitlines() if "$k=3$" in line][0]
    >>> line.split(" node")[0]
    '\\draw[family0] (n0) to[bend left=12]'
    >>> line.split(" node")[1]
    '[steplabel, pos=0.5, auto=left, text=derivecolora] {$k=3$ CSQ} (n1);'
    """
    nodes, edges, ranks, families = _ordered(graph)
    position, column = _layout(graph, nodes)
    bends = _bends(graph, nodes, edges, position)
    places = _label_places(graph, nodes, edges, position, bends)
    name = {n: f"n{i}" for i, n in enumerate(nodes)}
    family_name = {f: f"family{i}" for i, f in enumerate(families)}
    # colour names of letters only, which every xcolor version accepts
    color_name = {f: "derivecolor" + _letters(i) for i, f in enumerate(families)}

    lines = [
        r"\begin{tikzpicture}[",
        r"  >={Stealth[length=2.2mm]},",
        r"  subspace/.style={draw, rounded corners=3pt, inner sep=4pt, font=\small, fill=white},",
        (r"  steplabel/.style={font=\scriptsize, fill=white, fill opacity=0.85, text opacity=1,"
         r" inner sep=1pt},"),
    ]
    for f in families:
        style = _style_of(f, ranks)
        lines.append(f"  {family_name[f]}/.style={{->, semithick, {style.tikz_style}, "
                     f"draw={color_name[f]}}},")
    lines.append("]")
    for f in families:
        lines.append(rf"\definecolor{{{color_name[f]}}}{{HTML}}{{{_style_of(f, ranks).color}}}")
    for n in nodes:
        x, y = position[n]
        lines.append(rf"\node[subspace] ({name[n]}) at ({x:.2f}, {y:.2f}) "
                     f"{{{_tikz_text(graph.nodes[n]['label'])}}};")
    for u, v, key, data in edges:
        family = data.get("family", key)
        bend = bends[(u, v, key)]
        path = "--" if bend == 0 else (
            f"to[bend left={bend:g}]" if bend > 0 else f"to[bend right={-bend:g}]"
        )
        t, left, _ = places[(u, v, key)]
        text = f"$k={int(data['order'])}$ {latex_escape(_style_of(family, ranks).short)}"
        side = "left" if left else "right"
        lines.append(
            rf"\draw[{family_name[family]}] ({name[u]}) {path} node[steplabel, pos={t:g}, "
            f"auto={side}, text={color_name[family]}] {{{text}}} ({name[v]});"
        )
    bottom = min((y for _, y in position.values()), default=0.0) - 1.0
    dimensions = sorted(column, key=column.get)
    for d in dimensions:
        lines.append(rf"\node[font=\scriptsize, gray] at ({column[d] * _LAYER_SEPARATION:.2f}, "
                     f"{bottom:.2f}) {{dim {d}}};")
    for i, f in enumerate(families):
        y = bottom - 0.6 * (i + 1)
        legend = latex_escape(_style_of(f, ranks).legend)
        lines.append(rf"\draw[{family_name[f]}] (0, {y:.2f}) -- (0.8, {y:.2f}) "
                     rf"node[right, font=\scriptsize, text=black] {{{legend}}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"


def to_png(graph: networkx.MultiDiGraph, path, dpi: int = 150) -> Path:
    """Draw the staircase to a PNG file with matplotlib (Agg backend, no display needed).

    Nodes are boxes in columns by dimension, as in :func:`to_tikz`; edges are coloured and
    dashed per family and labelled ``k=1 CSQ``; a legend names the families. matplotlib is the
    optional extra ``plot``; without it this raises :class:`~derive.errors.DeriveError`.
    Returns the path written.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import FancyArrowPatch
    except ImportError:
        raise DeriveError("PNG export needs matplotlib: pip install 'derive[plot]'") from None

    nodes, edges, ranks, families = _ordered(graph)
    position, column = _layout(graph, nodes)
    bends = _bends(graph, nodes, edges, position)
    places = _label_places(graph, nodes, edges, position, bends)
    xs = [x for x, _ in position.values()]
    ys = [y for _, y in position.values()]
    left, right = min(xs) - 1.8, max(xs) + 1.8
    low, high = min(ys) - 1.3, max(ys) + 1.4
    scale = 1.25 / 2.54  # inches per layout unit
    width, height = (right - left) * scale, (high - low) * scale
    legend_height = 0.2 * len(families) + 0.15  # one family per line, 7 pt
    figure = Figure(figsize=(max(width, 4.5), height + legend_height), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, legend_height / (height + legend_height), 1.0,
                            height / (height + legend_height)))
    axes.set_xlim(left, right)
    axes.set_ylim(low, high)
    axes.set_aspect("equal", adjustable="box")
    axes.axis("off")

    boxes = {}
    for n in nodes:
        x, y = position[n]
        text = axes.text(
            x, y, graph.nodes[n]["label"], ha="center", va="center", fontsize=9, zorder=3,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.2"},
        )
        boxes[n] = text
    for d, c in column.items():
        axes.text(c * _LAYER_SEPARATION, min(ys) - 1.0, f"dim {d}", ha="center", va="center",
                  fontsize=7, color="0.45")
    figure.canvas.draw()  # place the node boxes so that arrows can be clipped to them

    for u, v, key, data in edges:
        style = _style_of(data.get("family", key), ranks)
        color = "#" + style.color
        bend = bends[(u, v, key)]
        rad = -_BULGE * math.sin(math.radians(bend))  # arc3 bulges right for rad > 0
        (x0, y0), (x1, y1) = position[u], position[v]
        arrow = FancyArrowPatch(
            (x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12,
            connectionstyle=f"arc3,rad={rad:.4f}", color=color, linestyle=style.mpl_style,
            linewidth=1.3, patchA=boxes[u].get_bbox_patch(), patchB=boxes[v].get_bbox_patch(),
            zorder=4,
        )
        axes.add_patch(arrow)
        mx, my = places[(u, v, key)][2]
        axes.text(mx, my, data["label"], ha="center", va="center", fontsize=7,
                  color=color, zorder=5,
                  bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none",
                        "alpha": 0.8})

    styles = [_style_of(f, ranks) for f in families]
    handles = [
        Line2D([], [], color="#" + style.color, linestyle=style.mpl_style, linewidth=1.3,
               label=style.legend)
        for style in styles
    ]
    if handles:
        figure.legend(handles=handles, loc="lower center", fontsize=7, frameon=False, ncol=1,
                      handlelength=3.0)
    path = Path(path)
    figure.savefig(path, dpi=dpi, format="png", facecolor="white")
    return path
