"""Report packs: one deck computed for every branch (or every relationship manager) of a
requester's scope, each under a scope narrowed to that unit, written as PPTX and/or PDF files
into one ZIP archive.

A unit's figures are computed by :func:`components.slides.build_slide` under
:func:`unit_scope`, the intersection of the requester's scope and the unit, so a branch's pack
holds nothing of another branch, and no pack ever holds more than the requester may see. The
cube's scope unions grants on the same hierarchy, so the intersection is written out here:

- a branch pack needs the branch inside the requester's org grants (all, its region, itself);
- a manager pack needs unrestricted org rows (head office) or the manager's own grant: a
  manager's rows reach their customers' transactions at other branches, which a branch or
  region grant does not cover, so those requesters get branch packs only;
- grants on other hierarchies (product category) are kept, so they still intersect;
- identities stay masked unless the requester's identity grants cover the unit;
- an aggregates-only requester (presenter) stays aggregates-only.

Everything runs at the deck's pinned data version (``cube.connection.at_version``), like the
slides. No UI here (the page ``pages/_deck_export.py`` checks who asks, runs this as a
background job and audits every pack); tests/test_architecture.py names this module beside
``components.slides``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from components import slides as slide_builder
from components.deck_export import ChartRenderer, DeckCover, to_pdf, to_pptx
from components.i18n import t
from components.slide_content import SlideContent
from cube import connection
from cube.api import Grant, Query, Scope, execute, label_column
from cube.views import branches as branches_view

PACK_KINDS = ("branch", "manager")
FORMATS = ("pptx", "pdf")
MAX_UNITS = 500  # one job makes at most this many packs (a bank's branches fit; a typo does not)
ORG_KINDS = ("region", "branch", "manager")
# Which unit each grant kind contains, read from the rows of ``units_query``: a grant on
# (kind, id) covers a branch or manager whose own ``kind`` column equals id.
UNITS_QUERY = Query(
    "customers",
    measures=("customers.customers",),
    dimensions=("customers.region", "customers.branch", "customers.manager"),
)


@dataclass(frozen=True)
class Unit:
    """One branch or relationship manager a pack is made for, with where it sits."""

    kind: str  # "branch" | "manager"
    key: int
    name: str
    region: int
    branch: int


class PackRefused(ValueError):
    """A pack the requester's scope does not allow (``key`` names the message to show)."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key, self.params = key, params
        super().__init__(f"{key} {params}")


# --- whose pack, under which scope ----------------------------------------------------------------


def _org_grants(grants: Sequence[Grant]) -> list[Grant]:
    return [g for g in grants if g.kind in ("all", *ORG_KINDS)]


def _covers(grants: Sequence[Grant], unit: Unit, kinds: Sequence[str] = ORG_KINDS) -> bool:
    """Whether the org grants (a union) contain every row of ``unit``."""
    org = _org_grants(grants)
    if any(g.kind == "all" for g in org):
        return True
    where = {"region": unit.region, "branch": unit.branch, "manager": unit.key}
    for g in org:
        if g.kind not in kinds:
            continue
        if unit.kind == "manager" and g.kind != "manager":
            continue  # a manager's rows reach other branches' transactions: see the docstring
        if where.get(g.kind) in g.ids:
            return True
    return False


def _org_unrestricted(scope: Scope) -> bool:
    org = _org_grants(scope.rows)
    return bool(scope.rows) and (not org or any(g.kind == "all" for g in org))


def may_pack(scope: Scope, unit: Unit) -> bool:
    """Whether a pack of ``unit`` holds only rows ``scope`` may see."""
    if not scope.rows:
        return False
    return _org_unrestricted(scope) or _covers(scope.rows, unit)


def unit_scope(scope: Scope, unit: Unit) -> Scope:
    """The requester's ``scope`` narrowed to ``unit`` (never wider than ``scope``).

    Raises
    ------
    PackRefused
        If the unit is not wholly inside the scope.
    """
    if not may_pack(scope, unit):
        raise PackRefused("export.denied")
    grant = Grant(unit.kind, (unit.key,))
    others = tuple(g for g in scope.rows if g.kind not in ("all", *ORG_KINDS))  # product grants
    identities = (grant,) if scope.identities and _covers(scope.identities, unit) else ()
    return Scope((grant, *others), identities, customer_rows=scope.customer_rows)


def pack_units(kind: str, scope: Scope, version: str | None, lang: str = "en") -> list[Unit]:
    """Every branch (or manager) of ``scope`` with data at ``version`` that a pack may be made
    for, by name."""
    if kind not in PACK_KINDS:
        raise PackRefused("export.denied")
    member = f"customers.{kind}"
    with connection.at_version(version):
        frame = execute(UNITS_QUERY, scope, lang).frame
    if frame.empty:
        return []
    names = frame[label_column(member)] if label_column(member) in frame else frame[member]
    seen: dict[int, Unit] = {}
    for region, branch, key, name in zip(
        frame["customers.region"], frame["customers.branch"], frame[member], names, strict=True
    ):
        if key is None or key != key:  # customers without a manager
            continue
        unit = Unit(kind, int(key), str(name), int(region), int(branch))
        if int(key) not in seen and may_pack(scope, unit):
            seen[int(key)] = unit
    return sorted(seen.values(), key=lambda u: (u.name, u.key))


# --- one deck, one unit ---------------------------------------------------------------------------


def version_date(version: str | None) -> str:
    """The load time a data version names (``20261201T201411-90163e`` -> ``2026-12-01 20:14``)."""
    match = re.match(r"(\d{8})T(\d{4})", version or "")
    if not match:
        return ""
    moment = dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M")
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def scope_label(scope: Scope, lang: str) -> str:
    """The unit(s) a scope's figures cover: "Whole bank", or the granted units by name."""
    if _org_unrestricted(scope):
        return t("slides.whole_bank", lang)
    names = []
    for g in _org_grants(scope.rows):
        for key in g.ids:
            names.append(branches_view.unit_name(g.kind, key, scope, lang) or f"{g.kind} {key}")
    return ", ".join(names) or "-"


def build_deck(
    name: str,
    deck_slides: Sequence[Any],
    scope: Scope,
    lang: str,
    version: str | None,
    author: str = "",
    unit: Unit | None = None,
) -> tuple[DeckCover, list[SlideContent]]:
    """The cover and every slide of a deck as ``scope`` sees it at ``version`` (the deck's
    pinned version; raises ``cube.connection.VersionUnavailable`` when it is gone). With a
    ``unit``, slides that name no unit of their own show that unit (:func:`slide_for_unit`)."""
    if unit is not None:
        deck_slides = [slide_for_unit(s, unit) for s in deck_slides]
    contents = [slide_builder.build_slide(s, scope, lang, version) for s in deck_slides]
    with connection.at_version(version) as served:
        periods = {slide_builder.state_for(_field(s, "search"), scope).period for s in deck_slides}
        periods = sorted(p for p in periods if p)
        label = unit.name if unit is not None else scope_label(scope, lang)
    shown = next((c.data_version for c in contents if c.data_version), None) or served or version or "-"
    cover = DeckCover(
        title=name,
        scope=label,
        period=", ".join(periods) or "-",
        data_version=str(shown),
        version_date=version_date(str(shown)),
        lang=lang,
        author=author,
    )
    return cover, contents


def slide_for_unit(slide: Any, unit: Unit) -> dict:
    """A deck slide opened on ``unit`` when its filters name no unit of the organisation tree
    or a unit holding it (the whole bank, its region, its branch); a slide that names another
    unit keeps it, and under the unit's scope shows nothing of it."""
    search = str(_field(slide, "search") or "")
    params = dict(parse_qsl(search.lstrip("?"), keep_blank_values=False))
    own = {"region": unit.region, "branch": unit.branch, "manager": unit.key}
    named = {level: params.get(level) for level in ORG_KINDS if params.get(level)}
    if all(str(own[level]) == str(value) for level, value in named.items()):
        params.update(region=str(unit.region), branch=str(unit.branch))
        if unit.kind == "manager":
            params["manager"] = str(unit.key)
    out = {name: _field(slide, name) for name in ("path", "part", "title", "notes")}
    return {**out, "search": "?" + urlencode(params)}


def _field(slide: Any, name: str) -> Any:
    """A field of a deck slide (an ``auth.decks`` slide object or a dict)."""
    return slide.get(name) if isinstance(slide, dict) else getattr(slide, name, None)


def safe_name(text: str, fallback: str = "deck") -> str:
    """A file name part from a deck or unit name: letters (Chinese too), digits, - and _."""
    cleaned = re.sub(r"[^\w\-]+", "_", text, flags=re.UNICODE).strip("_")
    return cleaned[:80] or fallback


@dataclass
class PackResult:
    """The archive and what went into it (the page audits one line per unit)."""

    archive: bytes
    files: list[str]
    units: list[Unit]


Progress = Callable[[int, int, Unit | None], None]


def make_packs(
    name: str,
    deck_slides: Sequence[Any],
    scope: Scope,
    kind: str,
    lang: str,
    version: str | None,
    formats: Sequence[str] = ("pptx",),
    author: str = "",
    progress: Progress | None = None,
    renderer: ChartRenderer | None = None,
    on_pack: Callable[[Unit, list[str]], None] | None = None,
    units: Sequence[Unit] | None = None,
) -> PackResult:
    """One pack per unit of ``kind`` in ``scope`` as a ZIP: ``<deck>_<unit>.pptx`` (and/or
    ``.pdf``) each, every figure under :func:`unit_scope`. ``progress(done, total, unit)``
    follows each unit; ``on_pack(unit, files)`` follows each pack written (for the audit).
    ``units`` picks some of the scope's units (default: all of them, :func:`pack_units`).

    Raises
    ------
    PackRefused
        If the scope holds no unit of ``kind`` or more than ``MAX_UNITS``.
    """
    formats = [f for f in FORMATS if f in formats] or ["pptx"]
    own_managers = any(g.kind == "manager" for g in scope.rows)
    if kind == "manager" and not _org_unrestricted(scope) and not own_managers:
        raise PackRefused("export.manager_packs")  # see the module docstring
    units = list(units) if units is not None else pack_units(kind, scope, version, lang)
    if any(u.kind != kind or not may_pack(scope, u) for u in units):
        raise PackRefused("export.denied")
    if not units:
        raise PackRefused("export.no_units", kind=t(f"export.kind.{kind}", lang))
    if len(units) > MAX_UNITS:
        raise PackRefused("export.too_many_units", count=len(units), limit=MAX_UNITS)
    buffer, files = io.BytesIO(), []
    own = renderer is None
    renderer = renderer or ChartRenderer()
    if own:
        renderer.__enter__()

    def write(archive, unit: Unit, cover: DeckCover, contents, pictures) -> None:
        written = []
        for ext in formats:
            data = (to_pptx if ext == "pptx" else to_pdf)(cover, contents, pictures=pictures)
            file_name = f"{safe_name(name)}_{unit.key}_{safe_name(unit.name, str(unit.key))}.{ext}"
            archive.writestr(file_name, data)
            written.append(file_name)
        files.extend(written)
        if on_pack:
            on_pack(unit, written)

    try:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            # a pipeline: the browser draws one unit's charts while the next unit is computed
            pending = None
            for done, unit in enumerate(units):
                if progress:
                    progress(done, len(units), unit)
                deck = build_deck(name, deck_slides, unit_scope(scope, unit), lang, version, author, unit)
                charts = renderer.render_later([c.figure for c in deck[1]])
                if pending is not None:
                    write(archive, *pending[:3], pending[3].result())
                pending = (unit, *deck, charts)
            if pending is not None:
                write(archive, *pending[:3], pending[3].result())
        if progress:
            progress(len(units), len(units), None)
    finally:
        if own:
            renderer.__exit__(None, None, None)
    return PackResult(buffer.getvalue(), files, units)
