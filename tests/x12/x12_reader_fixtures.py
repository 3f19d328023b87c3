"""Small synthetic X12 builders shared by the X12 tests (no real data: names and ids are made up)."""

from __future__ import annotations

from orchestration.lib.raw_schema import column_names
from orchestration.lib.x12 import ParseResult


def isa(control: str = "000000001", element: str = "*", component: str = ":", version: str = "00501") -> str:
    repetition = "^" if version == "00501" else "U"
    fields = [
        "ISA",
        "00",
        "          ",
        "00",
        "          ",
        "ZZ",
        "SENDER         ",
        "ZZ",
        "RECEIVER       ",
        "250110",
        "0930",
        repetition,
        version,
        control,
        "0",
        "T",
        component,
    ]
    return element.join(fields)


def transaction(
    body: list[str], control: str = "0001", code: str = "835", guide: str = "005010X221A1"
) -> list[str]:
    """ST + body + SE with the right count."""
    segments = [f"ST*{code}*{control}*{guide}", *body]
    return [*segments, f"SE*{len(segments) + 1}*{control}"]


def interchange(
    sets: list[list[str]],
    control: str = "000000001",
    group: str = "1",
    guide: str = "005010X221A1",
    functional: str = "HP",
) -> list[str]:
    segments = [isa(control), f"GS*{functional}*SENDER*RECEIVER*20250110*0930*{group}*X*{guide}"]
    for one in sets:
        segments.extend(one)
    return [*segments, f"GE*{len(sets)}*{group}", f"IEA*1*{control}"]


def render(segments: list[str], element: str = "*", terminator: str = "~\n") -> bytes:
    """Join segments written with ``*`` using another element separator and terminator."""
    out = []
    for segment in segments:
        out.append(segment if segment.startswith("ISA") or element == "*" else segment.replace("*", element))
    return (terminator.join(out) + terminator).encode()


def header_835(paid: str, trace: str = "EFT0001", pay_date: str = "20250110") -> list[str]:
    return [
        f"BPR*I*{paid}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*{pay_date}",
        f"TRN*1*{trace}*1512345678",
        "DTM*405*20250109",
        "N1*PR*ACME HEALTH PLAN*XV*ACMEPLAN",
        "N3*1 PAYER WAY",
        "N4*SPRINGFIELD*IL*62701",
        "REF*2U*60054",
        "PER*BL*PROVIDER SERVICES*TE*8005550100",
        "N1*PE*BENCH MEDICAL GROUP*XX*1999999984",
        "REF*TJ*999999999",
        "LX*1",
    ]


def rows(result: ParseResult, table: str) -> list[dict]:
    """A table's rows as dicts keyed by the contract's column names."""
    names = column_names(table)
    return [dict(zip(names, row, strict=True)) for row in result.tables[table]]


def mutate(segments: list[str], mutations: list[tuple[str, int, int, str]]) -> list[str]:
    """Apply (operation, index, second index, text) mutations: delete, duplicate, swap or corrupt an element."""
    segments = list(segments)
    for operation, first, second, text in mutations:
        if not segments:
            break
        first %= len(segments)
        second %= len(segments)
        if operation == "delete":
            del segments[first]
        elif operation == "duplicate":
            segments.insert(first, segments[first])
        elif operation == "swap":
            segments[first], segments[second] = segments[second], segments[first]
        else:
            elements = segments[first].split("*")
            elements[second % len(elements)] = text
            segments[first] = "*".join(elements)
    return segments
