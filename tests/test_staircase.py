"""The staircase graph of the learning order (derive.staircase), and its exports.

Reference values are THEORY.md §4: the staircase z1 + z1 z2 + z1 z2 z3 (Abbe, Boix-Adserà,
Misiakiewicz, COLT 2022, arXiv:2202.08658: merged staircase, leap 1), the parity-like
z1 z2 z3 (Damian, Lee, Bruna 2025, arXiv:2506.05500: information leap 3, generative leap 2)
and giant steps (Dandi, Krzakala, Loureiro, Pesce, Stephan, JMLR 2024, arXiv:2305.18270:
with n = O(d) per step, z1 + z2 z3 only ever learns e1).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import shutil
import subprocess
import sys

import networkx
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from derive.certificates import EXACT, Certificate
from derive.errors import DeriveError
from derive.leap import Filtration, FiltrationStep
from derive.staircase import (
    ZERO_KEY,
    echelon_rows,
    family_path,
    filtrations_by_family,
    from_json,
    staircase_graph,
    subspace_key,
    subspace_label,
    to_dot,
    to_json,
    to_png,
    to_tikz,
)
from derive.target import parse_target


@functools.cache
def graph_of(text: str) -> networkx.MultiDiGraph:
    target = parse_target(text)
    filtrations = filtrations_by_family(target.expression, target.variables)
    return staircase_graph(filtrations, len(target.variables))


def edges_of(graph, family):
    return [(u, v, d) for u, v, k, d in graph.edges(keys=True, data=True) if k == family]


def hand_filtration(steps, dimension):
    """A Filtration written by hand: steps are (order, basis) with exact entries."""
    certificate = Certificate(EXACT, "written by hand for a test")
    built = tuple(
        FiltrationStep(k, tuple(tuple(v) for v in basis), certificate) for k, basis in steps
    )
    learned = sum(len(b) for _, b in steps)
    return Filtration("hand", built, learned, dimension)


EXAMPLES = ["z1 + z1*z2 + z1*z2*z3", "z1*z2*z3", "z1 + z2*z3", "(z1 + z2)**2 + z3"]


# --- structure against THEORY.md §4 ------------------------------------------------------


def test_staircase_correlational_path_climbs_one_direction_per_step():
    """z1 + z1 z2 + z1 z2 z3: three steps of order 1 (Abbe et al. 2022; THEORY.md §4)."""
    g = graph_of("z1 + z1*z2 + z1*z2*z3")
    path = family_path(g, "correlational")
    assert [g.nodes[n]["dimension"] for n in path] == [0, 1, 2, 3]
    labels = [g.nodes[n]["label"] for n in path]
    assert labels == ["{0}", "span(e1)", "span(e1, e2)", "span(e1, e2, e3)"]
    edges = edges_of(g, "correlational")
    assert len(edges) == 3
    assert [d["order"] for _, _, d in edges] == [1, 1, 1]
    assert all(d["dimension_added"] == 1 for _, _, d in edges)
    assert [(u, v) for u, v, _ in edges] == list(itertools.pairwise(path))
    assert {d["label"] for _, _, d in edges} == {"k=1 CSQ"}
    assert g.graph["families"]["correlational"]["leap"] == 1


def test_staircase_giant_steps_follow_the_same_path():
    """With n = O(d) per step each new direction is linearly coupled to the learned ones."""
    g = graph_of("z1 + z1*z2 + z1*z2*z3")
    assert family_path(g, "giant-step") == family_path(g, "correlational")
    assert [d["order"] for _, _, d in edges_of(g, "giant-step")] == [1, 1, 1]
    # one node per subspace: the two families share their four nodes, with parallel edges
    shared = family_path(g, "correlational")
    for u, v in itertools.pairwise(shared):
        assert set(g[u][v]) >= {"correlational", "giant-step"}
    assert g.graph["families"]["giant-step"]["complete"] is True


def test_staircase_generative_reaches_everything_at_order_one():
    """Generative leap <= information leap = 1 (Damian, Lee, Bruna 2025)."""
    g = graph_of("z1 + z1*z2 + z1*z2*z3")
    path = family_path(g, "generative")
    assert g.nodes[path[-1]]["dimension"] == 3
    assert path[-1] == family_path(g, "correlational")[-1]
    assert {d["order"] for _, _, d in edges_of(g, "generative")} == {1}


def test_parity_like_target_jumps_to_dimension_three():
    """z1 z2 z3: information leap 3 in one step, generative leap 2 (THEORY.md §4)."""
    g = graph_of("z1*z2*z3")
    full = subspace_key([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert set(g.nodes) == {ZERO_KEY, full}
    ((u, v, csq),) = edges_of(g, "correlational")
    assert (u, v) == (ZERO_KEY, full)
    assert csq["order"] == 3 and csq["dimension_added"] == 3 and csq["label"] == "k=3 CSQ"
    ((u, v, sq),) = edges_of(g, "generative")
    assert (u, v) == (ZERO_KEY, full)
    assert sq["order"] == 2 and sq["label"] == "k=2 SQ"
    # n = O(d) giant steps see nothing: no first-order coefficient
    assert edges_of(g, "giant-step") == []
    assert family_path(g, "giant-step") == [ZERO_KEY]
    assert g.graph["families"]["giant-step"]["complete"] is False
    assert g.nodes[full]["label"] == "span(e1, e2, e3)"
    assert g.nodes[full]["reached_by"] == ["correlational", "generative"]


def test_giant_steps_stop_at_e1_for_z1_plus_z2z3():
    """z1 + z2 z3: steps with n = O(d) learn e1 only (Dandi et al. 2024; THEORY.md §4)."""
    g = graph_of("z1 + z2*z3")
    path = family_path(g, "giant-step")
    assert [g.nodes[n]["label"] for n in path] == ["{0}", "span(e1)"]
    assert g.out_degree(path[-1]) > 0  # the others go on from span(e1) ...
    assert "giant-step" not in {k for _, _, k in g.out_edges(path[-1], keys=True)}  # ... it stops
    families = g.graph["families"]["giant-step"]
    assert families["complete"] is False
    assert (families["learned_dimension"], families["effective_dimension"]) == (1, 3)
    # correlational: e1 at order 1, then e2, e3 together at order 2
    assert [d["order"] for _, _, d in edges_of(g, "correlational")] == [1, 2]


@pytest.mark.parametrize("text", EXAMPLES)
def test_generative_leap_at_most_information_leap(text):
    """GE <= IE carries over to leaps (Damian, Lee, Bruna 2025): compare along the paths."""
    g = graph_of(text)
    info = max(d["order"] for _, _, d in edges_of(g, "correlational"))
    gen = max(d["order"] for _, _, d in edges_of(g, "generative"))
    assert gen <= info


@pytest.mark.parametrize("text", EXAMPLES)
def test_node_invariants(text):
    """Every node's basis is orthonormal, spans a subspace of the stated dimension, and its
    key is the echelon form of that basis; every edge goes up by dimension_added."""
    g = graph_of(text)
    r = g.graph["dimension"]
    for node, attrs in g.nodes(data=True):
        rows = [[sympy.sympify(x) for x in v] for v in attrs["basis"]]
        assert attrs["dimension"] == len(rows)
        if rows:
            basis = sympy.Matrix(rows)
            assert (basis * basis.T).applyfunc(sympy.simplify) == sympy.eye(len(rows))
        assert subspace_key(echelon_rows(rows, r)) == node
    for u, v, d in g.edges(data=True):
        assert g.nodes[v]["dimension"] - g.nodes[u]["dimension"] == d["dimension_added"] > 0
        assert d["family"] in g.graph["families"]
        assert d["certificate"]


def test_rotated_subspace_gets_a_combination_label():
    """(z1 + z2)^2 + z3: the first direction learned is e3, then span(e1 + e2, e3)."""
    g = graph_of("(z1 + z2)**2 + z3")
    path = family_path(g, "correlational")
    assert [g.nodes[n]["label"] for n in path] == ["{0}", "span(e3)", "span(e1 + e2, e3)"]
    half = str(sympy.sqrt(2) / 2)
    assert g.nodes[path[-1]]["basis"] == [[half, half, "0"], ["0", "0", "1"]]


def test_same_subspace_from_different_bases_is_one_node():
    """The node key is canonical: rotated bases of the same plane are the same node."""
    s = sympy.sqrt(2) / 2
    filtrations = {
        "correlational": hand_filtration([(1, [[1, 0]]), (1, [[0, 1]])], 2),
        "generative": hand_filtration([(2, [[s, s], [s, -s]])], 2),
        "giant-step": hand_filtration([(1, [[0, -1]]), (1, [[1, 0]])], 2),
    }
    g = staircase_graph(filtrations, 2)
    assert g.number_of_nodes() == 4  # {0}, span(e1), span(e2), R^2
    tops = {family_path(g, f)[-1] for f in filtrations}
    assert tops == {subspace_key([[1, 0], [0, 1]])}
    assert g.nodes[family_path(g, "giant-step")[1]]["label"] == "span(e2)"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(-3, 3), min_size=3, max_size=3), min_size=1, max_size=3),
    st.lists(st.lists(st.integers(-2, 2), min_size=3, max_size=3), min_size=3, max_size=3),
)
def test_key_is_a_property_of_the_subspace(vectors, mixing):
    """Any basis of the same subspace (here: mixed by an invertible matrix) gives one key."""
    basis = sympy.Matrix(vectors).T.columnspace()
    mix = sympy.Matrix(mixing)[: len(basis), : len(basis)]
    assume(mix.det() != 0)
    mixed = (sympy.Matrix.hstack(*basis) * mix).T.tolist() if basis else []
    original = [list(v) for v in basis]
    assert subspace_key(echelon_rows(mixed, 3)) == subspace_key(echelon_rows(original, 3))
    assert len(echelon_rows(original, 3)) == len(basis)


def test_labels():
    assert subspace_label([]) == "{0}"
    assert subspace_label([[0, 1, 0]]) == "span(e2)"
    assert subspace_label([[1, 0, 0], [0, 1, 0], [0, 0, 1]]) == "span(e1, e2, e3)"
    assert subspace_label([[1, sympy.Rational(-1, 3), 0]]) == "span(3e1 - e2)"
    assert subspace_label([[1, sympy.sqrt(3), 0]]) == "dim 1"
    assert subspace_label([[1] * 12]) == "dim 1"  # too long to be readable


def test_bad_input_is_a_derive_error():
    with pytest.raises(DeriveError, match="expected 3"):
        staircase_graph({"correlational": hand_filtration([(1, [[1, 0]])], 2)}, 3)
    with pytest.raises(DeriveError, match="already learned"):
        staircase_graph({"correlational": hand_filtration([(1, [[1, 0]]), (1, [[2, 0]])], 2)}, 2)
    with pytest.raises(DeriveError, match="positive integer"):
        staircase_graph({}, 0)
    with pytest.raises(DeriveError, match="no family"):
        family_path(staircase_graph({}, 2), "correlational")


def test_empty_and_custom_families():
    g = staircase_graph({}, 2)
    assert list(g.nodes) == [ZERO_KEY] and g.number_of_edges() == 0
    g = staircase_graph({"my_alg & 50%": hand_filtration([(4, [[1, 0], [0, 1]])], 2)}, 2)
    ((_, _, d),) = g.edges(data=True)
    assert d["label"] == "k=4 my_alg & 50%"
    from derive.latex import escape

    assert escape("my_alg & 50%") in to_tikz(g)  # the family name is escaped, not raw
    assert "my_alg &" not in to_tikz(g)
    assert '"k=4 my_alg & 50%"' in to_dot(g)


# --- exports -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", EXAMPLES)
def test_json_round_trip(text):
    g = graph_of(text)
    data = json.loads(to_json(g))
    assert all(isinstance(n["id"], str) for n in data["nodes"])
    # networkx >= 3.4 spells the edge list keyword ``edges``, older versions ``link``
    parameters = inspect.signature(networkx.node_link_graph).parameters
    keywords = {"edges": "edges"} if "edges" in parameters else {"link": "edges"}
    back = networkx.node_link_graph(data, directed=True, multigraph=True, **keywords)
    assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
    edges = sorted(g.edges(keys=True, data=True), key=repr)
    assert sorted(back.edges(keys=True, data=True), key=repr) == edges
    assert back.graph == g.graph
    assert networkx.utils.graphs_equal(from_json(to_json(g)), back)


@pytest.mark.parametrize("text", EXAMPLES)
def test_dot_has_every_node_and_edge(text):
    g = graph_of(text)
    dot = to_dot(g)
    assert dot.startswith("digraph staircase {") and dot.rstrip().endswith("}")
    for node, attrs in g.nodes(data=True):
        assert f'"{node}" [label="{attrs["label"]}"' in dot
    for u, v, d in g.edges(data=True):
        assert f'"{u}" -> "{v}" [label="{d["label"]}"' in dot
    assert dot.count(" -> ") == g.number_of_edges()
    assert dot.count("{") - dot.count("\\{") == dot.count("}") - dot.count("\\}")


def test_dot_quotes_awkward_names():
    g = staircase_graph({'say "hi" \\o/': hand_filtration([(1, [[1, 0]])], 2)}, 2)
    assert 'label="k=1 say \\"hi\\" \\\\o/"' in to_dot(g)


@pytest.mark.parametrize("text", EXAMPLES)
def test_tikz_has_picture_and_every_order(text):
    g = graph_of(text)
    tikz = to_tikz(g)
    assert tikz.startswith(r"\begin{tikzpicture}") and tikz.rstrip().endswith(r"\end{tikzpicture}")
    draws = [line for line in tikz.splitlines()
             if line.startswith(r"\draw[family") and "node[steplabel" in line]
    assert len(draws) == g.number_of_edges()
    for _, _, d in g.edges(data=True):
        assert f"$k={d['order']}$" in tikz
    for _, attrs in g.nodes(data=True):
        assert attrs["dimension"] == 0 or "span(" in tikz or "dim " in tikz
    assert r"\{0\}" in tikz  # braces escaped
    assert tikz.count("{") == tikz.count("}")


@pytest.mark.parametrize("text", EXAMPLES)
def test_exports_are_deterministic(text):
    """Same input, same text; the order in which families are given does not matter."""
    target = parse_target(text)
    filtrations = filtrations_by_family(target.expression, target.variables)
    reversed_order = dict(reversed(list(filtrations.items())))
    a = staircase_graph(filtrations, len(target.variables))
    b = staircase_graph(reversed_order, len(target.variables))
    for export in (to_json, to_dot, to_tikz):
        assert export(a) == export(b) == export(graph_of(text))


def test_png_export(tmp_path):
    pytest.importorskip("matplotlib")
    out = to_png(graph_of("z1 + z2*z3"), tmp_path / "staircase.png")
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_png_without_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(DeriveError, match=r"pip install 'derive\[plot\]'"):
        to_png(graph_of("z1*z2*z3"), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_tikz_compiles(tmp_path):
    """Every example, plus a family name full of LaTeX specials, compiles with pdflatex."""
    pictures = [to_tikz(graph_of(text)) for text in EXAMPLES]
    awkward = "a_b & c % $d$ #e ^f ~g {h} \\i"
    steps = [(2, [[1, 0]]), (1, [[0, 1]])]
    pictures.append(to_tikz(staircase_graph({awkward: hand_filtration(steps, 2)}, 2)))
    document = "\n".join([
        r"\documentclass{article}",
        r"\usepackage{tikz}",
        r"\usetikzlibrary{arrows.meta,positioning}",
        r"\begin{document}",
        *(p + "\n\\bigskip\n" for p in pictures),
        r"\end{document}",
    ])
    (tmp_path / "staircase.tex").write_text(document)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
         "staircase.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "staircase.pdf").stat().st_size > 1000
