"""The refinement mapping: implementation state -> the KVM spec's variables.

Written against ``spec/kvm/base.pyspec`` and its version specs (v1,
patch2014, v2, v3) as of this writing:

================  ===========================================================
spec              implementation
================  ===========================================================
``cov``           gfns (of the scenario) that a valid slot of the published
                  set ``kvm->memslots`` contains (a slot marked
                  KVM_MEMSLOT_INVALID covers nothing)
``gen``           ``kvm->memslots->generation``; v3's bit 63 becomes the
                  spec's ``UPDATE_IN_PROGRESS`` constant (256)
``spte``          per gfn, below the current root: -1 unless its SPTE is an
                  MMIO SPTE; then the spec's ``spte_record``: the lap
                  (the full generation it was tagged from, the ghost
                  ``mmu.history`` without v3's flag, divided by
                  2**gen_bits) times 2**gen_bits, plus the generation bits
                  decoded from the SPTE itself with the layout
                  (``get_mmio_spte_generation``, so the packing is checked;
                  v2 keeps no bit 0)
``vcache``        per vCPU: ``record(gfn=arch.mmio_gfn or none,
                  gen=arch.mmio_gen)`` (v1 has no mmio_gen: 0)
``valid_root``    the vCPUs whose loaded root is not obsolete: its
                  ``mmu_valid_gen`` equals ``kvm->arch.mmu_valid_gen``
``gp_wait``       while the writer is between W2 and the end of W3: the vCPUs
                  inside a read-side section that entered it before the
                  publish (ghost clock stamps); else the empty set
``vcpu.gfn``      the gfn of the fault being handled, none between accesses
``vcpu.pc``       the thread's next label (internal points ``W3.scan1`` ->
                  ``W3``); a vCPU that has made all its accesses is at R0
``writer.n``      ioctls completed
``writer.new_cov`` the private copy of the latest install (empty before any)
``writer.new_gen`` the generation given to that copy at W1 (v3: the ``gen``
                  local after W4)
``writer.pc``     as for vCPUs; the ended writer is ``Done``
================  ===========================================================

Values are ITF JSON, as pyspec's traces and reports carry them
(``pyspec.values.from_itf`` decodes them with the spec's types): model values
are ``"Gfn.g1"`` strings, sets ``{"#set": [...]}``, maps ``{"#map": [[k, v],
...]}``, records plain objects, none ``{"#none": null}``.  This module does
not import the toolchain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .memslots import KVM_MEMSLOT_INVALID, KvmMemslots, linear_search_memslots
from .spte import is_mmio_spte
from .versions import KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS

if TYPE_CHECKING:
    from .harness import System
    from .trace import Event

SPEC_VARIABLES = ("cov", "gen", "spte", "vcache", "gp_wait", "valid_root")
SPEC_LOCALS = ("vcpu.gfn", "vcpu.pc", "writer.n", "writer.new_cov", "writer.new_gen", "writer.pc")
NONE = {"#none": None}


@dataclass
class Naming:
    """How implementation values are named in the spec."""

    gfn: dict[int, str] = field(default_factory=dict)  # gfn -> "Gfn.g1"
    vcpu: dict[int, str] = field(default_factory=dict)  # vcpu_id -> "Vcpu.v1"
    update_in_progress: int = 256  # the spec's stand-in for bit 63 (v3's UPDATE_IN_PROGRESS)

    @classmethod
    def for_system(cls, system: System, update_in_progress: int = 256) -> Naming:
        """``Gfn.g<i>`` for the i-th gfn of the scenario (from 1), ``Vcpu.v<id>``."""
        return cls(gfn={g: f"Gfn.g{i}" for i, g in enumerate(system.scenario.gfns, 1)},
                   vcpu={v.vcpu_id: f"Vcpu.v{v.vcpu_id}" for v in system.vcpus},
                   update_in_progress=update_in_progress)

    def gfn_of(self, name: str) -> int:
        """The implementation gfn of a spec gfn (``"Gfn.g1"`` -> 1)."""
        return next(g for g, n in self.gfn.items() if n == name)

    def vcpu_of(self, name: str) -> int:
        return next(v for v, n in self.vcpu.items() if n == name)

    def gen(self, g: int) -> int:
        if g & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS:
            return (g & ~KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS) | self.update_in_progress
        return g


def _itf_set(names: list[str]) -> dict:
    return {"#set": sorted(names)}


def _itf_map(pairs: dict[str, Any]) -> dict:
    return {"#map": [[k, pairs[k]] for k in sorted(pairs)]}


def covered_gfns(slots: KvmMemslots, gfns: list[int] | tuple[int, ...]) -> list[int]:
    out = []
    for g in gfns:
        s = linear_search_memslots(slots, g)
        if s is not None and not s.flags & KVM_MEMSLOT_INVALID:
            out.append(g)
    return out


def _pc(label: str | None, initial: str, done: str) -> str:
    if label is None:
        return initial
    if label == "Done":
        return done
    return label.split(".", 1)[0]


def spte_record(system: System, gfn: int) -> int:
    """The spec's ``spte[gfn]``: -1 unless the current root has an MMIO SPTE
    for ``gfn``; else ``lap * 2**gen_bits + bits`` with the lap from the
    ghost history and the bits the SPTE itself encodes."""
    kvm = system.kvm
    spte = kvm.mmu.sptes.get(gfn, 0)
    if not is_mmio_spte(spte):
        return -1
    width = kvm.layout.gen_bits
    lap = kvm.version.gen_value(kvm.mmu.history[gfn]) >> width
    return (lap << width) + kvm.layout.get_mmio_spte_generation(spte)


def spec_state(system: System, naming: Naming | None = None) -> dict[str, Any]:
    """The spec state (ITF JSON, keyed ``var`` / ``proc.local`` / ``proc.pc``)
    that the implementation state of ``system`` stands for."""
    nm = naming or Naming.for_system(system)
    kvm = system.kvm
    gfns = system.scenario.gfns
    frame = kvm.install

    state: dict[str, Any] = {}
    state["cov"] = _itf_set([nm.gfn[g] for g in covered_gfns(kvm.memslots, gfns)])
    state["gen"] = nm.gen(kvm.memslots.generation)
    sptes = {}
    for g in gfns:
        sptes[nm.gfn[g]] = spte_record(system, g)
    state["spte"] = _itf_map(sptes)
    vcache = {}
    for v in system.vcpus:
        g = v.arch.mmio_gfn
        vcache[nm.vcpu[v.vcpu_id]] = {"gen": nm.gen(v.arch.mmio_gen) if kvm.version.cache_has_gen else 0,
                                      "gfn": nm.gfn[g] if g else NONE}
    state["vcache"] = _itf_map(vcache)
    waiting: list[str] = []
    if frame is not None and frame.published_at is not None and not frame.grace_done:
        waiting = [nm.vcpu[v.vcpu_id] for v in system.vcpus
                   if v.in_section() and v.entered_at is not None and v.entered_at < frame.published_at]
    state["gp_wait"] = _itf_set(waiting)
    state["valid_root"] = _itf_set([nm.vcpu[v.vcpu_id] for v in system.vcpus
                                    if not kvm.mmu.is_obsolete_root(v.arch.mmu_root)])

    gfn_of, pc_of = {}, {}
    for v in system.vcpus:
        name = nm.vcpu[v.vcpu_id]
        gfn_of[name] = nm.gfn[v.fault.gfn] if v.fault is not None else NONE
        pc_of[name] = _pc(system.pc("vcpu", v.vcpu_id), "R0", "R0")
    state["vcpu.gfn"] = _itf_map(gfn_of)
    state["vcpu.pc"] = _itf_map(pc_of)

    writer_pc = _pc(system.pc("writer"), "W1" if system.scenario.updates else "Done", "Done")
    state["writer.n"] = system.userspace.n
    if frame is None:
        state["writer.new_cov"] = _itf_set([])
        state["writer.new_gen"] = 0
    else:
        state["writer.new_cov"] = _itf_set([nm.gfn[g] for g in covered_gfns(frame.slots, gfns)])
        if kvm.version.name == "v3" and writer_pc in ("W2", "W3", "W4"):
            state["writer.new_gen"] = nm.gen(frame.slots.generation)
        else:
            state["writer.new_gen"] = nm.gen(frame.gen)
    state["writer.pc"] = writer_pc
    return state


def spec_event(event: Event, system: System, naming: Naming | None = None) -> dict[str, Any]:
    """An event in spec terms: the process index and gfn parameters named as
    in the spec, the label of the spec step (``W3.scan1`` -> ``W3``), and
    ``internal`` set for points inside a step (they change no spec variable)."""
    nm = naming or Naming.for_system(system)
    label = event["label"]
    out = {"seq": event["seq"], "proc": event["proc"],
           "self": nm.vcpu.get(event["self"], event["self"]) if event["proc"] == "vcpu" else None,
           "label": label.split(".", 1)[0], "internal": "." in label, "params": dict(event["params"])}
    if "gfn" in out["params"] and out["params"]["gfn"] in nm.gfn:
        out["params"]["gfn"] = nm.gfn[out["params"]["gfn"]]
    if "state" in event:
        out["state"] = event["state"]
    return out


def _name(v: Any) -> str:
    """``"Vcpu.v1"`` for a string or for a model value (``.sort``, ``.name``)."""
    if isinstance(v, str):
        return v
    return f"{v.sort}.{v.name}"


def perform_spec_step(system: System, process: str, self_value: Any, label: str,
                      params: dict[str, Any] | None = None, naming: Naming | None = None) -> list[Event]:
    """Make the implementation take the spec step (process, self, label) --
    e.g. one step of a counterexample -- with the gfn the spec's ``any``
    chose (``params``: binder name -> ``Gfn.gN``, as in StepInfo.params).
    Returns the implementation's events; raises
    :class:`~pyspec.kvm.harness.StepBlocked` if it cannot take the step now.
    Before a reader's R0 the writer may take an internal point of W3 (see
    :func:`prepare_spec_step`)."""
    nm = naming or Naming.for_system(system)
    ident = None if self_value is None else nm.vcpu_of(_name(self_value))
    choice = None
    for v in (params or {}).values():
        try:
            choice = nm.gfn_of(_name(v))
        except (StopIteration, AttributeError):
            continue
    events = prepare_spec_step(system, process, label)
    return events + system.perform(process, ident, label, choice)


def prepare_spec_step(system: System, process: str, label: str) -> list[Event]:
    """What the implementation does before it takes the spec step (process,
    label) so that it can take it whenever the spec can.

    The spec's SRCU abstraction (docs/memslots-model.md, "SRCU"): a reader
    that locks between the publish (W2) and the start of synchronize_srcu
    (the index flip, internal point W3.scan1) is waited for by the kernel but
    not by the spec, which moves that lock after the flip.  Do the same:
    before a reader's R0 the writer starts its grace period (an internal
    point: it changes no spec variable)."""
    if process != "vcpu" or label != "R0":
        return []
    writer = system.tasks.get(("writer", None))
    if writer is not None and writer.label == "W3.scan1" and writer.enabled():
        return system.perform("writer", None)
    return []
