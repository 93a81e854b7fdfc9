"""Plain-text tables of the scaling results (the CLI's default output)."""

from __future__ import annotations


def hierarchical_table(scaling) -> str:
    """>>> from derive.scaling.hierarchical import hierarchical_scaling
    >>> print(hierarchical_table(hierarchical_scaling("He2(z)", 1)).splitlines()[0])
    hierarchical target  y = sum_k k^-1 sigma(z_k), sigma = He2(z)
    """
    s = scaling
    lines = [f"hierarchical target  y = sum_k k^-{s.gamma} sigma(z_k), sigma = {s.sigma}"
             + (f", noise {s.noise}" if s.noise != 0 else ""),
             (f"  information exponent {s.information_exponent}, generative exponent "
              f"{s.generative_exponent}, spectral order j* = {s.spectral_order.value} "
              f"({s.spectral_order.reason})")]
    if s.threshold_exponent is not None:
        lines += [f"  threshold            direction k recovered at n/d ~ k^{s.threshold_exponent}",
                  f"  directions learned   k* ~ (n/d)^{s.directions_learned_exponent}",
                  f"  excess risk          ~ (n/d)^{s.error_exponent}"]
    lines.append("  regimes:")
    for r in s.regimes:
        rate = "no power law" if r.error_exponent is None else f"(n/d)^{r.error_exponent}"
        lines.append(f"    {r.name:<14} {rate:<14} {r.region}  [{r.status}]")
        lines.append(f"    {'':<14} {r.description}")
    sgd = s.online_sgd
    if sgd.applies:
        lines.append(f"  online SGD           loss ~ (n/d^{sgd.d_exponent})^{sgd.error_exponent}, "
                     f"k* ~ (n/d^{sgd.d_exponent})^{sgd.directions_learned_exponent}")
    else:
        lines.append(f"  online SGD           not covered: {sgd.why}")
    lines += [f"  note: {n}" for n in s.notes]
    lines.append(f"  source: {s.source}")
    return "\n".join(lines)


def validation_table(v) -> str:
    run = v.run
    lines = [f"validation  d = {run.d}, P = {run.directions}, seed = {run.seed}",
             "  n/d        excess risk  learned"]
    lines += [f"  {a:<10.4g} {r:<12.5g} {k}" for a, r, k in zip(run.alphas, run.risk, run.learned)]
    if v.slope is None:
        lines.append(f"  slope: {v.reason}")
    else:
        verdict = {True: "agrees", False: "DISAGREES", None: "UNDECIDED"}[v.agrees]
        lines.append(f"  fitted slope {v.slope:.3f} +- {v.stderr:.3f} on n/d in "
                     f"[{v.window[0]:.3g}, {v.window[1]:.3g}]; predicted {v.predicted}: "
                     f"{verdict} (tolerance max(3 se, {v.tolerance}))")
        if v.finite_slope is not None:
            lines.append(f"  engine's finite-P prediction on the same window: slope "
                         f"{v.finite_slope:.3f} (P -> infinity: "
                         f"{v.asymptotic_window_slope:.3f}); simulation / prediction "
                         f"{v.ratio_ends[0]:.2f} -> {v.ratio_ends[1]:.2f}")
        lines.append(f"  {v.reason}")
    return "\n".join(lines)


def phase_table(diagram) -> str:
    """>>> from derive.scaling.weight_decay import phase_diagram
    >>> print(phase_table(phase_diagram("diagonal", 1, 1)).splitlines()[0])
    diagonal network with weight decay: teacher k^-1, noise 1, n_eff = n
    """
    lines = [(f"{diagram.model} network with weight decay: teacher k^-{diagram.gamma}, "
              f"noise {diagram.noise}, n_eff = {diagram.n_eff}"),
             ]
    name = max(11, *(len(p.name) for p in diagram.phases))
    rate = max(26, *(len(p.rate_text) for p in diagram.phases))
    lines.append(f"  {'phase':<{name}} {'rate':<{rate}} "
                 f"{'d-exponent (n_eff=d^a, lambda=d^b)':<36} region")
    for p in diagram.phases:
        lines.append(f"  {p.name:<{name}} {p.rate_text:<{rate}} {p.exponent!s:<36} "
                     f"{p.region_text}")
    lines += [f"  note: {n}" for n in diagram.notes]
    lines.append(f"  source: {diagram.phases[0].source}")
    return "\n".join(lines)
