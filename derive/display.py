"""Plain-text tables for people (the CLI's default output)."""

from __future__ import annotations

import mpmath
import sympy


def _cell(text: str, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def analysis_table(analysis) -> str:
    target = analysis.target
    lines = []
    title = target.name or target.text
    lines.append(f"target      {title}")
    shown = f"{target.text}   [sympy: {target.expression}]" if target.text != str(
        target.expression) else target.text
    lines.append(f"expression  y = {shown}" + (
        f" + sqrt({target.noise}) xi" if target.noise != 0 else ""))
    lines.append(f"variables   {', '.join(map(str, target.variables))} "
                 f"(index dimension r = {target.index_dimension})")
    expansion = analysis.hermite
    if expansion is not None:
        lines.append("")
        lines.append(
            "Hermite coefficients  c_k = E[y He_k(z)] / k!  (probabilists' He_k; "
            f"method: {expansion.method})"
        )
        header = f"  {'k':>3}  {'c_k (exact)':<28} {'value':>24}  {'status':<12} certificate"
        lines.append(header)
        for c in expansion.coefficients:
            exact = "" if c.exact is None else _cell(sympy.sstr(c.exact), 28)
            value = mpmath.nstr(c.value, 16) if c.value != 0 else "0"
            lines.append(
                f"  {c.order:>3}  {exact:<28} {value:>24}  {c.status:<12} {c.certificate.label}"
            )
        residual = expansion.parseval_residual_exact
        residual_text = mpmath.nstr(expansion.parseval_residual, 6)
        if residual is not None:
            residual_text += f" (exact: {_cell(sympy.sstr(residual), 50)})"
        norm = (
            sympy.sstr(expansion.norm_squared_exact) if expansion.norm_squared_exact is not None
            else mpmath.nstr(expansion.norm_squared, 16)
        )
        lines.append(
            f"  Parseval: E[g^2] = {norm} = {mpmath.nstr(expansion.norm_squared, 12)}; "
            f"sum_(k<={expansion.max_order}) k! c_k^2 = {mpmath.nstr(expansion.parseval_sum, 12)}; "
            f"tail {residual_text}"
        )
    if analysis.multi_index is not None:
        lines.extend(_multi_index_lines(analysis.multi_index))
    for result in (analysis.information_exponent, analysis.generative_exponent):
        if result is None:
            continue
        lines.append("")
        value = "undetermined" if result.value is None else str(result.value)
        lines.append(f"{result.name + ':':<22}{value}   [{result.certificate}]")
        lines.append(f"  {result.summary}")
        for item in result.evidence:
            lines.append(f"    k={item.order:<3} {item.status:<12} {item.certificate.reason}")
    if analysis.conditional is not None:
        lines.append("")
        lines.append("conditional moments  lambda_k^2 = E[E[h_k(z) | y]^2]  (h_k = He_k/sqrt(k!))")
        for m in analysis.conditional:
            exact = f"   = {sympy.sstr(m.exact)}" if m.exact is not None else ""
            lines.append(f"  k={m.order:<3} {m.value:>22.15g}  +- {m.error_bound:.1e}{exact}")
    for note in analysis.notes:
        lines.append("")
        lines.append(f"note: {note}")
    return "\n".join(lines)


def catalog_table(entries) -> str:
    lines = [f"{'name':<12} {'expression':<46} {'r':>2}  {'IE':>3} {'GE':>3}  source"]
    for e in entries:
        lit = e.literature
        ie = lit.get("information_exponent", lit.get("information_leap", "-"))
        ge = lit.get("generative_exponent", lit.get("generative_leap", "-"))
        lines.append(
            f"{e.name:<12} {_cell(e.target.text, 46):<46} {e.target.index_dimension:>2}  "
            f"{ie!s:>3} {ge!s:>3}  {lit.get('source', '')}"
        )
    lines.append("")
    lines.append("IE/GE: information and generative exponents (leaps for r > 1) as stated in "
                 "the sources; '-' where no sourced value is recorded.")
    return "\n".join(lines)


def _vector(v) -> str:
    return "(" + ", ".join(sympy.sstr(x) for x in v) + ")"


def _multi_index_lines(m) -> list[str]:
    method = m.method or ""
    if method.startswith("monte carlo"):
        note = "Monte Carlo means +- standard error; the others are not resolved from 0"
    elif method.startswith("nested quadrature"):
        note = ("nested quadrature +- a-posteriori error; unlisted: 0 by a sign flip; "
                "'?': not resolved from 0")
    elif m.bounds:
        note = "exact or numeric +- bound; all others are 0"
    else:
        note = "exact; all others are 0"
    lines = ["", "Hermite coefficients  c_alpha = E[y He_alpha(z)] / alpha!  (probabilists'; "
             f"{note})"]
    bounds = m.bounds or {}
    for alpha, value in m.coefficients.items():
        bound = bounds.get(alpha)
        shown = sympy.sstr(value) if bound is None else f"{float(value):.10g} +- {bound:.1e}"
        lines.append(f"  alpha = {str(alpha):<20} c = {shown}")
    for alpha, (value, bound) in (m.unresolved or {}).items():
        lines.append(f"  alpha = {alpha!s:<20} c = {value:.3g} +- {bound:.1e} ?")
    lines.append("")
    lines.append(f"effective dimension   {m.effective_dimension} (the span of grad g)")
    for filtration in (m.information, m.generative, m.linear_giant_steps):
        lines.append("")
        value = filtration.leap
        shown = "undetermined" if value is None and filtration.undetermined else (
            "-" if value is None else str(value))
        lines.append(f"{filtration.name}: {shown}   "
                     f"(learns {filtration.learned_dimension} of "
                     f"{filtration.effective_dimension} directions)")
        for i, step in enumerate(filtration.steps, start=1):
            basis = ", ".join(_vector(v) for v in step.basis)
            lines.append(f"    step {i}: order {step.order}, +{step.dimension_added} "
                         f"[{step.certificate.label}] {basis}")
        if filtration.undetermined:
            lines.append(f"    undetermined at {filtration.undetermined}")
        if filtration.stopped:
            lines.append(f"    stops: {filtration.stopped}")
    lines.append("")
    lines.append("one giant step with batch n = Theta(d^l):  " + ", ".join(
        f"l={s.batch_exponent}: {s.dimension_learned} dir." for s in m.one_step))
    coordinate = m.coordinate
    if m.rotation is not None:
        lines.append("coordinate leap (Abbe et al. 2023): not computed; the target is separable "
                     "only in the rotated basis w = Q^T z")
    elif coordinate.value is None and coordinate.bounds is not None:
        low, high = coordinate.bounds
        lines.append("coordinate leap (Abbe et al. 2023, in the given basis): undetermined "
                     f"(between {low} and {'?' if high is None else high} from the numeric "
                     "support)")
    else:
        lines.append(f"coordinate leap (Abbe et al. 2023, in the given basis): {coordinate.value}")
    return lines


def predictions_table(analysis) -> str:
    target = analysis.target
    lines = [f"target      {target.name or target.text}   (r = {target.index_dimension})", ""]
    lines.append(f"  {'algorithm':<52} {'samples n ~':<16} source")
    for p in analysis.predictions:
        if p.applies:
            rate = "d" if p.d_exponent == 1 else f"d^{p.d_exponent}"
            if p.log_factor:
                rate += " (log)"
        else:
            rate = "-"
        lines.append(f"  {_cell(p.algorithm, 52):<52} {rate:<16} {p.source}")
        lines.append(f"      {p.why}")
    lines.append("")
    lines.append("'(log)': the statement holds up to logarithmic factors in d; '-': the claim "
                 "does not apply (reason below it).")
    return "\n".join(lines)


def threshold_table(analysis) -> str:
    w = analysis.recovery()
    target = analysis.target
    certificate = getattr(w, "certificate", None)
    why = w.reason + (f"   [{certificate.label}: {certificate.reason}]" if certificate else "")
    preprocessing = getattr(w, "preprocessing",
                            "spectral method on E[z z^T - I | y] (top eigenvectors of F)")
    lines = [
        f"target      {target.name or target.text}",
        f"class       {w.klass}",
        f"alpha_c     {w.alpha_c_text}   (n = alpha d; optimal first-order methods / GAMP)",
        f"why         {why}",
        f"spectral    optimal preprocessing {preprocessing}",
        "source      Troiani et al. AISTATS 2025 (arXiv:2405.15480); Mondelli & Montanari 2019 "
        "(arXiv:1708.05932)",
    ]
    staircase = analysis.grand_staircase()
    if staircase is not None and not target.is_single_index:
        lines.append("")
        lines.append("grand staircase (each step conditions on the label and the directions "
                     "already learned)")
        for number, step in enumerate(staircase.steps, 1):
            alpha = "none" if step.alpha_c is None else f"{step.alpha_c:.8g}"
            if step.alpha_c is not None and step.error_bound:
                alpha += f" +- {step.error_bound:.1e}"
            basis = ", ".join("(" + ", ".join(f"{x:.6g}" for x in v) + ")"
                              for v in step.directions) or "-"
            lines.append(f"  step {number}  {step.klass:<8} alpha_c {alpha:<24} "
                         f"+{step.dimension_added} direction(s) {basis}   [{step.certificate.label}]")
        needed = staircase.alpha_needed
        lines.append("  " + (f"every direction is learned for alpha > {needed:.8g}"
                             if needed is not None else f"incomplete: {staircase.reason}"))
    return "\n".join(lines)


def lr_phase_table(phase) -> str:
    """e(kappa) piece by piece, the transitions and the leading drift terms."""
    import sympy

    from .lr_phase import KAPPA

    lines = [
        f"target      {phase.target}   (student {phase.student})",
        f"algorithm   {phase.algorithm}; learning rate eta = d^-kappa, expansion in "
        f"{phase.rate_parameter}",
    ]
    if phase.exponent is None:
        lines.append(f"e(kappa)    undetermined: {phase.reason}")
        return "\n".join(lines)
    lines.append(f"e(kappa)    {phase.exponent}   (samples T = d^e(kappa))")
    lines.append("")
    pieces = (phase.piecewise.args if isinstance(phase.piecewise, sympy.Piecewise)
              else ((phase.piecewise, True),))
    start = sympy.Integer(0)
    for expr, condition in pieces:
        end = sympy.oo if condition in (True, sympy.true) else condition.rhs
        logged = any(a <= start and (b == sympy.oo or b >= end) for a, b in phase.log_intervals)
        span = f"{start} <= kappa < {end}" if end != sympy.oo else f"kappa >= {start}"
        value = sympy.simplify(expr)
        rate = "d" if value == 1 else f"d^({value})"
        lines.append(f"  {span:<24} T = {rate}{' log d' if logged else ''}")
        start = end
    lines.append("")
    transitions = ", ".join(f"kappa = {t} (eta ~ d^-{t})" for t in phase.transitions) or "none"
    lines.append(f"transitions {transitions}")
    lines.append(f"domain      {phase.domain_note}")
    if phase.valid_range is None:
        lines.append("certified   nowhere: unexamined orders could lower e(kappa)")
    else:
        low, high = phase.valid_range
        lines.append(f"certified   for {low} <= kappa" + (f" <= {high}" if high != sympy.oo else "")
                     + " (orders and powers not examined cannot lower e there)")
    lines.append("")
    lines.append("leading drift terms  mu_i(eta) ~ eta^j E[f(y) He_i(a)] E[g(b) He_{i-1}(b)]")
    for term in phase.leading_terms():
        cost = term.cost + 2 * term.power * (KAPPA if phase.algorithm == "alternating"
                                             else KAPPA - 1)
        lines.append(f"  i = {term.order:<3} j = {term.power}   f = {term.label_factor:<5} "
                     f"g(b) = {term.student_factor:<28} coefficient {term.value:.6g}   "
                     f"line {cost}")
    lines.append("source      Tsiolis, Mousavi-Hosseini, Erdogdu, NeurIPS 2025 (arXiv:2510.21020)")
    return "\n".join(lines)
