"""Cold import of every function in template.yaml: instruction ratios (the gate), wall clock beside.

Per function, the handler module (its Handler minus the last dotted part) against the
floor of its kind: functions with an `Api` event against
`import boto3, fastapi, mangum, aws_lambda_powertools` (target <= 1.15), the others
against `import boto3, aws_lambda_powertools` (target <= 1.10). A module the template
names but the code does not have yet is reported and skipped; one that fails to import
misses its target.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import imports, instructions, template
from bench.calls import Target
from bench.template import Function


class MissingTool(RuntimeError):
    """A tool the bench needs is not installed; the message says how to install it."""


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def gi(count: int) -> str:
    return f"{count / 1e9:.4f} G"


@dataclass
class Checked:
    """The template's functions sorted by what the snapshot can do with their handler."""

    present: list[Function]
    skipped: list[Function]
    failed: dict[str, str]  # module -> error
    loaded: dict[str, list[str]]  # modules -> snapshot files the import loads

    @property
    def kinds(self) -> list[str]:
        return sorted({f.kind for f in self.present})  # "http" first: the longest floor

    @property
    def floors(self) -> list[str]:
        return [imports.FLOORS[kind] for kind in self.kinds]

    @property
    def modules(self) -> list[str]:
        return list(dict.fromkeys(f.module for f in self.present if f.module not in self.failed))


def check(functions: list[Function], code: Path, env: dict[str, str]) -> Checked:
    """Import each handler and floor once (which also warms the file cache)."""
    present, skipped = [], []
    for f in functions:
        if imports.module_exists(code, f.module):
            present.append(f)
        else:
            skipped.append(f)
            print(f"SKIP  {f.name}: handler module {f.module} does not exist (yet)")
    checked = Checked(present, skipped, {}, {})
    for modules in [*checked.floors, *dict.fromkeys(f.module for f in present)]:
        try:
            checked.loaded[modules] = imports.check_import(modules, code, env)
        except imports.ImportFailed as error:
            if modules in checked.floors:
                raise
            checked.failed[modules] = str(error)
            print(f"FAIL  {error}")
    return checked


def count(
    checked: Checked, code: Path, env: dict[str, str], executable: str, *, recount: bool
) -> dict[str, instructions.Count]:
    cases = [*checked.floors[:1], *checked.modules, *checked.floors[1:], instructions.BARE]
    tools = instructions.toolchain(executable)
    hashes = instructions.snapshot_hashes(code)
    keys = {
        case: instructions.cache_key(case, env, tools, code, hashes, checked.loaded.get(case, []))
        for case in cases
    }
    cache = instructions.Cache(enabled=not recount)
    to_run = sum(cache.get(key) is None for key in keys.values())
    print(
        f"-- instructions: {len(cases)} cases, {to_run} to run under callgrind "
        f"({instructions.JOBS} at a time, each some 50x slower than a plain run), "
        f"{len(cases) - to_run} unchanged since counted"
    )
    started = time.perf_counter()

    def progress(case: str, result: instructions.Count) -> None:
        if result.ir is None:
            shown = f"failed: {result.error}"
        else:
            how = "unchanged, counted before" if result.cached else f"{result.seconds:.0f} s"
            shown = f"{result.ir:>15,} Ir  ({how})"
        print(f"   {instructions.statement(case):<54} {shown}", flush=True)

    counts = instructions.count_all(keys, code, env, executable, cache, report=progress)
    print(f"   {time.perf_counter() - started:.0f} s")
    return counts


def measure(*, recount: bool = False) -> tuple[dict[str, Any], list[Target]]:
    """Print the cold-import table; return its results.json section and targets."""
    executable = instructions.valgrind()
    if executable is None:
        raise MissingTool(instructions.missing_message())
    parsed = template.load()
    functions = template.functions(parsed)
    withheld = template.environment_names(parsed)
    env = imports.probe_env(withheld)
    print(f"== Cold import: the {len(functions)} functions of {template.TEMPLATE.name}")
    with imports.code_snapshot() as code:
        checked = check(functions, code, env)
        wall: dict[str, list[float]] = {}
        if checked.modules:
            print(f"-- wall clock: {imports.ROUNDS} interleaved rounds, a fresh interpreter each")
            wall = imports.measure([*checked.floors, *checked.modules], code, env)
        counts = count(checked, code, env, executable, recount=recount)

    for case, result in counts.items():
        if result.ir is not None:
            continue
        if case not in checked.modules:
            raise RuntimeError(f"`{instructions.statement(case)}` not counted: {result.error}")
        checked.failed[case] = result.error or "not counted"
    ir = {case: result.ir for case, result in counts.items() if result.ir is not None}
    bare = ir[instructions.BARE]

    def net(case: str) -> int:
        return ir[case] - bare

    def median(case: str) -> float | None:
        return statistics.median(wall[case]) if case in wall else None

    print(f"\nbare interpreter (python -c pass): {gi(bare)} instructions, subtracted from each")
    print(f"{'':<28} {'net Ir':>9} {'ratio':>6}  {'target':<7} {'wall median':>11} {'ratio':>6}")
    for kind, floor in zip(checked.kinds, checked.floors, strict=True):
        print(f"{'floor, ' + kind:<28} {gi(net(floor)):>9} {'':>16} {ms(median(floor) or 0):>11}")

    rows: list[dict[str, Any]] = []
    targets: list[Target] = []
    for f in checked.present:
        goal = imports.TARGETS[f.kind]
        row: dict[str, Any] = {"function": f.name, "module": f.module, "kind": f.kind}
        if f.module in checked.failed:
            rows.append(row | {"error": checked.failed[f.module], "target": goal, "passed": False})
            print(f"{f.name:<28} import failed (see above)  FAIL")
            targets.append(
                Target(f"cold import {f.module}", "imports", "import failed (see above)", False)
            )
            continue
        floor = imports.FLOORS[f.kind]
        ratio = net(f.module) / net(floor)
        wall_s, floor_s = median(f.module) or 0.0, median(floor) or 1.0
        passed = ratio <= goal
        rows.append(
            row
            | {
                "ir": ir[f.module],
                "net_ir": net(f.module),
                "floor_net_ir": net(floor),
                "instruction_ratio": round(ratio, 4),
                "target": goal,
                "passed": passed,
                "counted_before": counts[f.module].cached,
                "wall_samples": wall[f.module],
                "wall_min_s": min(wall[f.module]),
                "wall_median_s": wall_s,
                "wall_ratio_of_medians": round(wall_s / floor_s, 4),
            }
        )
        print(
            f"{f.name:<28} {gi(net(f.module)):>9} {ratio:6.3f}  <= {goal:.2f} "
            f"{ms(wall_s):>11} {wall_s / floor_s:6.3f}  {verdict(passed)}"
        )
        targets.append(
            Target(
                f"cold import {f.module} / {f.kind} floor (instructions)",
                f"<= {goal:.2f}",
                f"{ratio:.3f}",
                passed,
            )
        )
    for f in checked.skipped:
        print(f"{f.name:<28} skipped: {f.module} does not exist yet")

    data = {
        "method": (
            "valgrind --tool=callgrind: user-space instructions (Ir) of "
            '`python -c "import <module>"` minus those of `python -c "pass"`, over the same '
            "for the floor; run in a snapshot of the code package (project code compiled "
            "from source as on Lambda, dependencies from their bytecode), fixed environment"
        ),
        "probe_env": env,
        "withheld_env": sorted(withheld),
        "wall_clock_rounds": imports.ROUNDS if wall else 0,
        "bare_interpreter_ir": bare,
        "floors": {
            kind: {
                "modules": floor,
                "ir": ir[floor],
                "net_ir": net(floor),
                "counted_before": counts[floor].cached,
                "wall_samples": wall.get(floor, []),
                "wall_median_s": median(floor),
            }
            for kind, floor in zip(checked.kinds, checked.floors, strict=True)
        },
        "handlers": rows,
        "skipped": [
            {"function": f.name, "module": f.module, "reason": "module does not exist"}
            for f in checked.skipped
        ],
    }
    return data, targets
