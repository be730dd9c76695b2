"""Symmetry reduction: a canonical representative per orbit.

A model's ``symmetry:`` sets are constants bound to sets of model values; the
permutations of each set (and their products, i.e. the group they generate,
as TLC computes from ``Permutations(A) \\cup Permutations(B)``) act on
states by renaming model values everywhere: inside variable values, and on
the instances of processes indexed by those values (instance ``v1``'s pc
and locals move to instance ``v2``'s fields).

The representative of a state is the least packed int over its orbit (the
state itself and its image under every permutation), so the number of
distinct representatives is the number of orbits, which is what TLC counts.

For speed the canonicalisation is generated Python: each slot's field is
extracted once, and each permutation maps it through a per-(permutation,
slot) memo table to the field of the slot it moves to; slots whose type
mentions no permuted sort are copied with one mask.  States with escaped
values (see :mod:`pyspec.compile.layout`) take a value-level path.

A slot holding an *interned* value (a set of records, a map over a large
domain: a code numbered in the order met, see
:class:`pyspec.compile.layout.InternCodec`) is compared last: the
representative is the image least in the other slots, ties broken by the
interned codes.  So only the images that tie on every other slot have
their interned values permuted (an interned set as its sorted element
numbers, each element's image numbered once per permutation) and
numbered; a memo per (permutation, code) would grow with the number of
permutations times the number of distinct values, so the images of codes
are memoised in bounded tables only.  A table miss on a map keyed by a
permuted sort is filled digit by digit (each key's entry moves, its value
through a memo of permuted values), not by decoding the whole map.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ...compile import CompiledModel
from ...compile.layout import InternCodec, InternSetCodec, MapCodec
from ...compile.runtime import BoundedMemo, fmap_own, rec_own
from ...ir import nodes as ir
from ...values import NONE


def permute_value(v: Any, ty: ir.Type | None, perm: dict[str, dict]) -> Any:
    """``v`` (internal: model values are ints) with the model values of the
    sorts in ``perm`` renamed: ``perm[sort][code] -> code``."""
    if ty is None or v is NONE:
        return v
    if isinstance(ty, ir.SortType):
        m = perm.get(ty.name)
        return m.get(v, v) if m else v
    if isinstance(ty, ir.OptionalType):
        return permute_value(v, ty.inner, perm)
    if isinstance(ty, ir.SetType):
        return frozenset(permute_value(x, ty.elem, perm) for x in v)
    if isinstance(ty, ir.SeqType):
        return tuple(permute_value(x, ty.elem, perm) for x in v)
    if isinstance(ty, ir.TupleType):
        return tuple(permute_value(x, t, perm) for x, t in zip(v, ty.elems))
    if isinstance(ty, ir.VariantType):
        ty = ir.value_type(ty, v)
    if isinstance(ty, ir.RecordType):
        ft = dict(ty.fields)
        return rec_own({k: permute_value(x, ft.get(k), perm) for k, x in v._d.items()})
    if isinstance(ty, ir.MapType):
        return fmap_own({permute_value(k, ty.key, perm): permute_value(x, ty.value, perm) for k, x in v._d.items()})
    return v


def _mentions(ty: ir.Type, sorts: set[str]) -> bool:
    if isinstance(ty, ir.SortType):
        return ty.name in sorts
    if isinstance(ty, (ir.SetType, ir.SeqType)):
        return _mentions(ty.elem, sorts)
    if isinstance(ty, ir.OptionalType):
        return _mentions(ty.inner, sorts)
    if isinstance(ty, ir.MapType):
        return _mentions(ty.key, sorts) or _mentions(ty.value, sorts)
    if isinstance(ty, ir.TupleType):
        return any(_mentions(t, sorts) for t in ty.elems)
    if isinstance(ty, ir.RecordType):
        return any(_mentions(t, sorts) for _, t in ty.fields)
    if isinstance(ty, ir.VariantType):
        return any(_mentions(t, sorts) for _, fields in ty.cases for _, t in fields)
    if isinstance(ty, ir.AnyType):
        return True
    return False


#: entries of a memo of permuted values before it is cleared
VALUE_MEMO_LIMIT = 1 << 16


class Permuter:
    """One permutation, as a function per type (``fn(ty)``): parts whose
    type mentions no permuted sort are kept as they are, and compound values
    are memoised (a state's records and sets recur from state to state)."""

    def __init__(self, perm: dict[str, dict]):
        self.perm = perm
        self.sorts = set(perm)
        self._fns: dict[int, tuple] = {}  # id(type) -> (type, function): the type is kept alive

    def fn(self, ty: ir.Type | None) -> Callable[[Any], Any]:
        hit = self._fns.get(id(ty))
        if hit is None:
            hit = self._fns[id(ty)] = (ty, self._make(ty))
        return hit[1]

    @staticmethod
    def _memo(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return BoundedMemo(f, VALUE_MEMO_LIMIT).__getitem__

    def _make(self, ty: ir.Type | None) -> Callable[[Any], Any]:
        if ty is None or not _mentions(ty, self.sorts):
            return _identity
        perm = self.perm
        if isinstance(ty, ir.SortType):
            m = perm[ty.name]
            return lambda v: m.get(v, v)
        if isinstance(ty, ir.OptionalType):
            inner = self.fn(ty.inner)
            return lambda v: v if v is NONE else inner(v)
        if isinstance(ty, ir.SetType):
            e = self.fn(ty.elem)
            return self._memo(lambda v: frozenset(map(e, v)))
        if isinstance(ty, ir.SeqType):
            e = self.fn(ty.elem)
            return self._memo(lambda v: tuple(map(e, v)))
        if isinstance(ty, ir.TupleType):
            fs = [self.fn(t) for t in ty.elems]
            return self._memo(lambda v: tuple([f(x) for f, x in zip(fs, v)]))
        if isinstance(ty, ir.RecordType):
            ft = {n: self.fn(t) for n, t in ty.fields}
            return self._memo(lambda v: rec_own({k: ft.get(k, _identity)(x) for k, x in v._d.items()}))
        if isinstance(ty, ir.VariantType):
            cases = {tag: {n: self.fn(t) for n, t in fields} for tag, fields in ty.cases}

            def variant(v):
                ft = cases.get(v._d.get("tag"), {})
                return rec_own({k: ft.get(k, _identity)(x) for k, x in v._d.items()})

            return self._memo(variant)
        if isinstance(ty, ir.MapType):
            kf, vf = self.fn(ty.key), self.fn(ty.value)
            return self._memo(lambda v: fmap_own({kf(k): vf(x) for k, x in v._d.items()}))
        return lambda v: permute_value(v, ty, perm)


def _identity(v: Any) -> Any:
    return v


def _no_imager(f: int) -> int:  # pragma: no cover - a marker, never called
    raise NotImplementedError


CHUNK_BITS = 20
#: entries of a (permutation, interned slot) image memo before it is cleared
IMAGE_MEMO_LIMIT = 1 << 16


def _interned_image(sl, permuter: Permuter) -> Callable[[int], int]:
    """code -> code of the permuted value, for an interned slot ``sl``.

    A set stored as sorted element numbers (:class:`InternSetCodec`) is
    permuted as numbers (:class:`SetImage`).  Other interned values are
    permuted element by element through the permuter's memos (whole values
    are not memoised here: there are as many as states)."""
    ty, codec = sl.type, sl.codec
    if isinstance(ty, ir.SetType) and isinstance(codec, InternSetCodec):
        return SetImage(codec, permuter.fn(ty.elem))
    if isinstance(ty, ir.SetType):
        e = permuter.fn(ty.elem)
        return lambda c: codec.codes[frozenset(map(e, codec.dec(c)))]
    kf, vf = permuter.fn(ty.key), permuter.fn(ty.value)
    return lambda c: codec.codes[fmap_own({kf(k): vf(x) for k, x in codec.dec(c)._d.items()})]


class SetImage:
    """code -> code of the image of a set of :class:`InternSetCodec` under
    one permutation, as numbers: each element's image is numbered once
    (``emap``: element number -> the number of its image), so a set's image
    is a few list lookups, a sort and one dict lookup of its bytes, without
    building either frozenset or hashing its records.  The compiled loop
    reads ``emap`` too (pyspec.engines.compiled.sets: it permutes the sets
    of its table itself)."""

    def __init__(self, codec: InternSetCodec, elem_image: Callable[[Any], Any]):
        self.codec = codec
        self.elem_image = elem_image
        self.emap: list[int] = []

    def extend(self, n: int) -> None:
        """The images of the elements numbered below ``n`` (numbering an
        image may number a new element)."""
        emap, codec, e = self.emap, self.codec, self.elem_image
        while len(emap) < n:
            emap.append(codec.elem_number(e(codec.elems[len(emap)])))

    def __call__(self, c: int) -> int:
        codec = self.codec
        nums = codec.numbers(c)
        if nums and nums[-1] >= len(self.emap):  # elements numbered since: their images
            self.extend(nums[-1] + 1)
        emap = self.emap
        img = sorted([emap[i] for i in nums])
        return codec.code_of_key(codec.key_of(img))


class _NotRepresentable(Exception):
    """A permuted part that its codec does not hold (the generic path decides)."""


def _map_field_image(sl, perm: dict, permuter: Permuter) -> Callable[[int], int] | None:
    """field -> field of the permuted value, for a slot holding a map keyed
    by a permuted sort (``node: map[Replica, NodeState]``), digit by digit:
    each key's digit moves to its image's position and its value goes
    through a memo of permuted values (there are far fewer values than
    maps: a node's state, not every combination of the nodes' states).
    The field is exactly what encoding the permuted map gives."""
    codec, ty = sl.codec, sl.type
    if not (isinstance(codec, MapCodec) and isinstance(ty, ir.MapType) and isinstance(ty.key, ir.SortType)):
        return None
    keymap = perm.get(ty.key.name, {})
    try:
        moves = [(i * codec.dw, codec.pos[keymap.get(k, k)] * codec.dw) for i, k in enumerate(codec.keys)]
    except KeyError:  # pragma: no cover - a sort's values are all keys of its map codec
        return None
    dmask = codec.dmask
    vfn = permuter.fn(ty.value)
    vc = codec.value
    memo: dict[int, int] = {}

    def digit(d: int) -> int:
        x = vc.enc(vfn(vc.dec(d >> 1)))
        if x is None:
            raise _NotRepresentable
        if len(memo) >= VALUE_MEMO_LIMIT:
            memo.clear()
        memo[d] = x = (x << 1) | 1
        return x

    get = memo.get
    same = vfn is _identity
    esc = sl.escapable

    def image(f: int) -> int:
        if esc:
            if not f & 1:
                raise _NotRepresentable
            f >>= 1
        out = 0
        for src, dst in moves:
            d = f >> src & dmask
            if d and not same:
                d = get(d) or digit(d)
            out |= d << dst
        return (out << 1) | 1 if esc else out

    return image


class Symmetry:
    """The symmetry group of a model and its canonicalisation function."""

    def __init__(self, model: CompiledModel):
        self.model = model
        per_sort: dict[str, list[list[int]]] = {}
        for name in model.model.symmetry:
            ty = model.spec.consts[[c.name for c in model.spec.consts].index(name)].type
            sort = ty.elem.name
            vals = sorted(model.constants[name])
            per_sort.setdefault(sort, []).append(vals)
        self.sorts = set(per_sort)
        per_set = []
        for sort, groups in per_sort.items():
            for vals in groups:
                per_set.append([(sort, dict(zip(vals, p))) for p in itertools.permutations(vals)])
        perms = []
        for combo in itertools.product(*per_set):
            d: dict[str, dict] = {}
            for sort, m in combo:
                d.setdefault(sort, {}).update({k: v for k, v in m.items() if k != v})
            d = {k: v for k, v in d.items() if v}
            if d:
                perms.append(d)
        # the group generated (products of permutations of disjoint sets are all there)
        self.perms = perms
        self.permuters = [Permuter(p) for p in perms]
        self.canonical: Callable[[int], int] = self._generate()

    def _slot_target(self, sl, perm: dict) -> int:
        """The slot that ``sl``'s contents move to under ``perm``."""
        if sl.inst is None:
            return sl.index
        ity = self.model._index_type(sl.process)
        if not isinstance(ity, ir.SortType) or ity.name not in perm or sl.inst_value not in perm[ity.name]:
            return sl.index
        cg = self.model.codegen
        pos = cg.inst_pos[sl.process][perm[ity.name][sl.inst_value]]
        if sl.kind == "pc":
            return cg.pc_slot[(sl.process, pos)]
        return cg.local_slot[(sl.process, sl.name, pos)]

    def _generate(self) -> Callable[[int], int]:
        """``_canon(s)``: the least image of ``s``.

        The slots a permutation can change are grouped into chunks of
        consecutive slots (at most CHUNK_BITS bits); for every permutation
        and chunk a plain dict maps the chunk's bits to the image of its
        slots, already shifted to where they land (instance slots move).
        Tables fill on a miss (KeyError -> ``_fill``)."""
        slots = self.model.slots
        layout = self.model.layout
        if not self.perms:
            return lambda s: s
        moved = set()
        interned = []  # slots compared last (module docstring)
        for sl in slots:
            if _mentions(sl.type, self.sorts) or any(self._slot_target(sl, p) != sl.index for p in self.perms):
                if isinstance(sl.codec, InternCodec):
                    interned.append(sl)
                else:
                    moved.add(sl.index)
        # chunks: runs of consecutive slots (unmoved ones between moved ones
        # included) of at most CHUNK_BITS bits, each starting and ending with
        # a moved slot; unmoved slots outside every chunk are copied by mask
        chunks: list[list] = []
        cur: list = []
        for sl in slots:
            width = sum(x.width for x in cur) + sl.width
            if sl.index in moved:
                if cur and width > CHUNK_BITS:
                    chunks.append(cur)
                    cur = []
                cur.append(sl)
            elif cur:
                if width > CHUNK_BITS:
                    chunks.append(cur)
                    cur = []
                else:
                    cur.append(sl)
        if cur:
            chunks.append(cur)
        for ch in chunks:
            while ch and ch[-1].index not in moved:
                ch.pop()
        chunks = [ch for ch in chunks if ch]
        keep_mask = layout.fixed_mask
        for ch in chunks:
            for sl in ch:
                keep_mask &= ~(sl.mask << sl.off)
        imask = 0
        for sl in interned:
            imask |= sl.mask << sl.off
        keep_mask &= ~imask
        self.keep_mask = keep_mask  # the bits no permutation moves
        self.chunks = chunks
        self.interned = interned
        self.tables = [[{} for _ in chunks] for _ in self.perms]
        # per permutation: (code field offset, mask, target offset, image memo, image function) per interned slot
        self.itables = [[(sl.off, sl.mask, self.model.slots[self._slot_target(sl, p)].off, {},
                          _interned_image(sl, pm)) for sl in interned] for p, pm in zip(self.perms, self.permuters)]
        self._imagers: dict[tuple[int, int], Callable[[int], int]] = {}
        ns: dict[str, Any] = {"_slow": self._slow, "_fill": self._fill, "_ties": self._ties}
        lines = ["def _canon(s):"]
        if layout.escapable:
            lines.append(f"    if s >> {layout.bits}: return _slow(s)")
        for ci, ch in enumerate(chunks):
            off = ch[0].off
            mask = (1 << sum(x.width for x in ch)) - 1
            lines.append(f"    c{ci} = s >> {off} & {mask}" if off else f"    c{ci} = s & {mask}")
        lines.append(f"    base = s & {keep_mask}")
        if interned:
            lines.append(f"    best = s & {~imask}")
            lines.append("    tied = [-1]")  # -1: the identity
        else:
            lines.append("    best = s")
        for pi in range(len(self.perms)):
            parts = ["base"]
            for ci in range(len(chunks)):
                name = f"_T{pi}_{ci}"
                ns[name] = self.tables[pi][ci]
                parts.append(f"{name}[c{ci}]")
            expr = " | ".join(parts)
            args = ", ".join(f"c{ci}" for ci in range(len(chunks)))
            lines.append("    try:")
            lines.append(f"        t = {expr}")
            lines.append("    except KeyError:")
            lines.append(f"        _fill({pi}, ({args},))")
            lines.append(f"        t = {expr}")
            if interned:
                lines.append(f"    if t < best: best = t; tied = [{pi}]")
                lines.append(f"    elif t == best: tied.append({pi})")
            else:
                lines.append("    if t < best: best = t")
        if interned:
            lines.append("    if len(tied) == 1 and tied[0] < 0: return s")
            lines.append("    return _ties(s, best, tied)")
        else:
            lines.append("    return best")
        src = "\n".join(lines) + "\n"
        self.source = src
        exec(compile(src, "<pyspec symmetry>", "exec"), ns)  # generated source
        return ns["_canon"]

    def _ties(self, s: int, best: int, tied: list) -> int:
        """Among the permutations whose images are least (``best``) in the
        slots other than the interned ones (``tied``; -1 is the identity),
        the image least in the interned codes."""
        cands = []
        for pi in tied:
            if pi < 0:
                cands.append(s)
                continue
            t = best
            for si, (off, mask, dst_off, _, _) in enumerate(self.itables[pi]):
                t |= self.interned_image(pi, si, s >> off & mask) << dst_off
            cands.append(t)
        return min(cands)

    def interned_image(self, pi: int, si: int, c: int) -> int:
        """The code of the image under permutation ``pi`` of code ``c`` of
        interned slot ``si`` (the compiled engine's memo is filled from here too)."""
        _, _, _, memo, image = self.itables[pi][si]
        ic = memo.get(c)
        if ic is None:
            ic = image(c)
            if len(memo) >= IMAGE_MEMO_LIMIT:
                memo.clear()
            memo[c] = ic
        return ic

    def _fill(self, pi: int, values: tuple) -> None:
        """Compute the missing table entries of permutation ``pi``."""
        for ci, v in enumerate(values):
            self.chunk_image(pi, ci, v)

    def chunk_image(self, pi: int, ci: int, v: int) -> int:
        """The image under permutation ``pi`` of chunk ``ci``'s bits ``v``:
        its slots' permuted fields, each where its slot moves to (the
        compiled engine's memo is filled from here too)."""
        table = self.tables[pi][ci]
        out = table.get(v)
        if out is None:
            out = table[v] = self._chunk_image(pi, ci, v)
        return out

    def _chunk_image(self, pi: int, ci: int, v: int) -> int:
        perm = self.perms[pi]
        ch = self.chunks[ci]
        out = 0
        off0 = ch[0].off
        for sl in ch:
            f = (v >> (sl.off - off0)) & sl.mask
            dst = self.model.slots[self._slot_target(sl, perm)]
            out |= self._field_image(pi, sl, dst, f) << dst.off
        return out

    def _field_image(self, pi: int, sl, dst, f: int) -> int:
        """The field of ``dst`` holding the image of ``sl``'s field ``f``
        under permutation ``pi``."""
        key = (pi, sl.index)
        fn = self._imagers.get(key)
        if fn is None:
            fn = self._imagers[key] = (_map_field_image(sl, self.perms[pi], self.permuters[pi])
                                       if dst is sl else None) or _no_imager
        if fn is not _no_imager:
            try:
                return fn(f)
            except _NotRepresentable:  # pragma: no cover - the generic path decides
                pass
        nf = dst.enc(self.permuters[pi].fn(sl.type)(sl.D[f]))
        if nf is None:  # pragma: no cover - permuting a representable value stays representable
            raise ValueError("symmetry: permuted value not representable")
        return nf

    def apply(self, s: int, perm: dict, permuter: Permuter | None = None) -> int:
        """The image of ``s`` under one permutation (value level)."""
        layout = self.model.layout
        permuter = permuter or Permuter(perm)
        vals = layout.unpack(s)
        out = list(vals)
        for sl, v in zip(self.model.slots, vals):
            out[self._slot_target(sl, perm)] = permuter.fn(sl.type)(v)
        return layout.pack(out)

    def _slow(self, s: int) -> int:
        best = s
        for perm, permuter in zip(self.perms, self.permuters):
            t = self.apply(s, perm, permuter)
            if t < best:
                best = t
        return best


def symmetry_of(model: CompiledModel) -> Symmetry:
    """The model's :class:`Symmetry`, built once per compiled model: both
    engines canonicalise with the same chunks, permutations and tables."""
    sym = model.__dict__.get("_symmetry")
    if sym is None:
        sym = model.__dict__["_symmetry"] = Symmetry(model)
    return sym
