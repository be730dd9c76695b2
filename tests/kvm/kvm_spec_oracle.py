"""A hand transcription of spec/kvm/{base,v1,patch2014,v2,v3}.pyspec, for tests.

It checks, before the conformance layer exists, that the implementation's
refinement mapping (pyspec.kvm.refinement.spec_state) produces a behaviour of
the spec: every event must be one spec step of its process from the previous
mapped state (events with a dotted label must leave the state unchanged).
Full observation only; the real trace validator (compiled model, partial
observation, TLC) is the toolchain's.  Keep in step with the spec files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UPDATE_IN_PROGRESS = 256
NONE = None


def _decode(v: Any) -> Any:
    """ITF JSON -> hashable Python (sets: frozenset, maps: tuple of pairs)."""
    if isinstance(v, dict):
        if "#none" in v:
            return None
        if "#set" in v:
            return frozenset(_decode(x) for x in v["#set"])
        if "#map" in v:
            return tuple(sorted((_decode(k), _decode(x)) for k, x in v["#map"]))
        return tuple(sorted((k, _decode(x)) for k, x in v.items()))
    return v


def decode_state(itf: dict[str, Any]) -> dict[str, Any]:
    return {k: _decode(v) for k, v in itf.items()}


@dataclass
class Spec:
    version: str
    gen_bits: int
    max_updates: int
    gfns: tuple[str, ...]
    vcpus: tuple[str, ...]

    # ------------------------------------------------------------ hooks

    def in_progress(self, g: int) -> bool:
        return self.version == "v3" and bool(g & UPDATE_IN_PROGRESS)

    def gen_value(self, g: int) -> int:
        return g & (UPDATE_IN_PROGRESS - 1) if self.version == "v3" else g

    def gen_at_w1(self, g: int) -> int:
        return {"v1": g + 1, "patch2014": g, "v2": g + 1, "v3": g | UPDATE_IN_PROGRESS}[self.version]

    def mmio_gen(self, g: int) -> int:
        return self.gen_value(g) % (2 ** self.gen_bits)

    def spte_gen_bits(self, g: int) -> int:
        if self.version == "v2":
            return g & (2 ** self.gen_bits - 2)
        return g % (2 ** self.gen_bits)

    def lap(self, g: int) -> int:
        return g // (2 ** self.gen_bits)

    def spte_record(self, g: int) -> int:
        v = self.gen_value(g)
        return self.lap(v) * (2 ** self.gen_bits) + self.spte_gen_bits(v)

    def spte_hit(self, s: dict, x: str) -> bool:
        spte = dict(s["spte"])
        if self.in_progress(s["gen"]):
            return False
        return spte[x] >= 0 and self.spte_gen_bits(spte[x]) == self.mmio_gen(s["gen"])

    def cache_hit(self, s: dict, v: str, x: str) -> bool:
        entry = dict(dict(s["vcache"])[v])
        if self.version == "v1":
            return entry["gfn"] == x
        return entry["gfn"] == x and entry["gen"] == s["gen"]

    def cache_entry(self, s: dict, x: str) -> tuple:
        return tuple(sorted({"gfn": x, "gen": 0 if self.version == "v1" else s["gen"]}.items()))

    def may_cache(self, s: dict) -> bool:
        return not self.in_progress(s["gen"])

    def wraps(self, g: int) -> bool:
        return self.mmio_gen(g) == 0

    # ------------------------------------------------------------ steps

    @staticmethod
    def _set(m: tuple, k: Any, v: Any) -> tuple:
        d = dict(m)
        d[k] = v
        return tuple(sorted(d.items()))

    def successors(self, s: dict, proc: str, me: str | None) -> list[dict]:
        if proc == "vcpu":
            return self._reader(s, me)
        return self._writer(s)

    def _reader(self, s: dict, v: str) -> list[dict]:
        pc = dict(s["vcpu.pc"])[v]
        gfn = dict(s["vcpu.gfn"])[v]
        out: list[dict] = []

        def go(t: dict, label: str) -> dict:
            t["vcpu.pc"] = self._set(t["vcpu.pc"], v, label)
            return t

        t = dict(s)
        if pc == "R0":
            for x in self.gfns:
                u = dict(s)
                u["valid_root"] = s["valid_root"] | {v}
                u["vcpu.gfn"] = self._set(s["vcpu.gfn"], v, x)
                out.append(go(u, "R1"))
        elif pc == "R1":
            out.append(go(t, "R6" if self.cache_hit(s, v, gfn) else "R2"))
        elif pc == "R2":
            hit = v in s["valid_root"] and self.spte_hit(s, gfn)
            if hit and self.may_cache(s):  # the hit refills the per-vCPU cache (as R4)
                t["vcache"] = self._set(s["vcache"], v, self.cache_entry(s, gfn))
            out.append(go(t, "R6" if hit else "R3"))
        elif pc == "R3":
            if gfn in s["cov"]:
                if v in s["valid_root"]:
                    t["spte"] = self._set(s["spte"], gfn, -1)
                t["gp_wait"] = s["gp_wait"] - {v}
                t["vcpu.gfn"] = self._set(s["vcpu.gfn"], v, None)
                out.append(go(t, "R0"))
            else:
                out.append(go(t, "R4"))
        elif pc == "R4":
            if self.may_cache(s):
                t["vcache"] = self._set(s["vcache"], v, self.cache_entry(s, gfn))
            out.append(go(t, "R5"))
        elif pc == "R5":
            if v in s["valid_root"]:
                t["spte"] = self._set(s["spte"], gfn, self.spte_record(s["gen"]))
            out.append(go(t, "R6"))
        elif pc == "R6":
            t["gp_wait"] = s["gp_wait"] - {v}
            t["vcpu.gfn"] = self._set(s["vcpu.gfn"], v, None)
            out.append(go(t, "R0"))
        return out

    def _loop(self, t: dict) -> dict:
        t["writer.pc"] = "W1" if t["writer.n"] < self.max_updates else "Done"
        return t

    def _writer(self, s: dict) -> list[dict]:
        pc = s["writer.pc"]
        last = {"v1": "W4", "patch2014": "W5", "v2": "W5", "v3": "W6"}[self.version]
        t = dict(s)
        if pc == "W1":
            out = []
            for x in self.gfns:
                u = dict(s)
                u["writer.new_cov"] = s["cov"] - {x} if x in s["cov"] else s["cov"] | {x}
                u["writer.new_gen"] = self.gen_at_w1(s["gen"])
                u["writer.pc"] = "W2"
                out.append(u)
            return out
        if pc == "W2":
            t["cov"] = s["writer.new_cov"]
            t["gen"] = s["writer.new_gen"]
            t["gp_wait"] = frozenset(v for v, p in s["vcpu.pc"] if p != "R0")
            t["writer.pc"] = "W3"
            return [t]
        if pc == "W3":
            if s["gp_wait"]:
                return []
            t["writer.pc"] = "W4"
            return [t]
        zap = {x: -1 for x in self.gfns}
        if self.version == "v1" and pc == "W4" or self.version in ("patch2014", "v2") and pc == "W5":
            if self.wraps(s["gen"]):
                t["spte"] = tuple(sorted(zap.items()))
                t["valid_root"] = frozenset()
        elif self.version in ("patch2014", "v2") and pc == "W4":
            t["gen"] = s["gen"] + 1
            t["writer.pc"] = "W5"
            return [t]
        elif self.version == "v3" and pc == "W4":
            t["writer.new_gen"] = self.gen_value(s["gen"]) + 1
            t["writer.pc"] = "W5"
            return [t]
        elif self.version == "v3" and pc == "W5":
            if self.wraps(s["writer.new_gen"]):
                t["spte"] = tuple(sorted(zap.items()))
                t["valid_root"] = frozenset()
            t["writer.pc"] = "W6"
            return [t]
        elif self.version == "v3" and pc == "W6":
            t["gen"] = s["writer.new_gen"]
        else:
            return []
        assert pc == last
        t["writer.n"] = s["writer.n"] + 1
        return [self._loop(t)]

    def initial_ok(self, s: dict) -> bool:
        return (s["gen"] == 0 and all(x == -1 for _, x in s["spte"]) and not s["gp_wait"]
                and s["valid_root"] == frozenset(self.vcpus)
                and all(p == "R0" for _, p in s["vcpu.pc"]) and s["writer.n"] == 0
                and s["writer.pc"] == ("W1" if self.max_updates else "Done"))


@dataclass
class Mismatch:
    index: int
    event: dict
    reason: str


def validate(spec: Spec, initial: dict, events: list[dict]) -> Mismatch | None:
    """None if the events are a behaviour of the spec, else the first bad event."""
    s = decode_state(initial)
    if not spec.initial_ok(s):
        return Mismatch(-1, {}, f"not an initial state: {s}")
    for i, e in enumerate(events):
        t = decode_state(e["state"])
        if "." in e["label"]:
            if t != s:
                return Mismatch(i, e, "an internal point changed the spec state: "
                                + ", ".join(k for k in t if t[k] != s[k]))
            continue
        proc = e["proc"]
        me = None if proc == "writer" else f"Vcpu.v{e['self']}"
        pc = s["writer.pc"] if proc == "writer" else dict(s["vcpu.pc"])[me]
        if e["label"] != pc:
            return Mismatch(i, e, f"the spec has {proc} {me} at {pc}, the event is {e['label']}")
        succ = spec.successors(s, proc, me)
        if t not in succ:
            if not succ:
                return Mismatch(i, e, f"{e['label']} is not enabled in the spec")
            best = min(succ, key=lambda u: sum(u[k] != t[k] for k in t))
            return Mismatch(i, e, f"no spec step {e['label']} gives this state; differs in "
                            + ", ".join(f"{k}: spec {best[k]} impl {t[k]}" for k in t if best[k] != t[k]))
        s = t
    return None


def spec_for(system: Any) -> Spec:
    sc = system.scenario
    return Spec(version=sc.version, gen_bits=sc.gen_bits if sc.gen_bits is not None else 19,
                max_updates=sc.updates, gfns=tuple(f"Gfn.g{i}" for i in range(1, len(sc.gfns) + 1)),
                vcpus=tuple(f"Vcpu.v{v.vcpu_id}" for v in system.vcpus))
