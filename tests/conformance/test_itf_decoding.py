"""Decoding ITF JSON by type (``pyspec.values.itf_decoder``), as trace files
are read: every value of a KVM model's states survives encode -> JSON ->
decode, model values decode to the interned objects of the model, ``none``
is accepted for any type and malformed JSON raises the errors the trace
readers turn into located messages."""

from __future__ import annotations

import json
import random

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.ir import nodes as ir
from pyspec.ir.state import state_types
from pyspec.values import NONE, EnumValue, ModelValue, from_itf, itf_decoder, to_itf


@pytest.fixture(scope="module")
def kvm():
    spec = pyspec.load("spec/kvm/v3.pyspec")
    return spec, compile_model(spec, "small")


def test_every_state_of_a_random_walk_round_trips(kvm):
    spec, cm = kvm
    types = state_types(spec)
    rng = random.Random(7)
    s = cm.initial_states()[0]
    checked = 0
    for _ in range(300):
        values = cm.to_values(s)
        for k, v in values.items():
            j = json.loads(json.dumps(to_itf(v, types[k])))
            back = itf_decoder(types[k])(j)
            assert back == v, k
            assert from_itf(j, types[k]) == v
            checked += 1
        succ = cm.successors(s)
        if not succ:
            break
        s = succ[rng.randrange(len(succ))][1]
    assert checked > 1000


def test_model_values_decode_to_the_interned_objects(kvm):
    spec, cm = kvm
    vcpu = next(v for v in cm.to_values(cm.initial_states()[0])["valid_root"])
    decoded = itf_decoder(ir.SortType(vcpu.sort))(f"{vcpu.sort}.{vcpu.name}")
    assert decoded is vcpu
    assert ModelValue("S", "a") is ModelValue("S", "a") and EnumValue("E", "x") is EnumValue("E", "x")


def test_decoders_are_built_once_per_type():
    ty = ir.MapType(ir.SortType("S"), ir.SetType(ir.IntType()))
    assert itf_decoder(ty) is itf_decoder(ir.MapType(ir.SortType("S"), ir.SetType(ir.IntType())))


@pytest.mark.parametrize("j", [{"tag": "None", "value": {"#tup": []}}, {"#none": None}])
def test_none_is_accepted_for_any_type(j):
    for ty in (ir.IntType(), ir.SortType("S"), ir.MapType(ir.IntType(), ir.BoolType()),
               ir.OptionalType(ir.IntType())):
        assert itf_decoder(ty)(j) is NONE


def test_some_unwraps_an_optional():
    assert itf_decoder(ir.OptionalType(ir.IntType()))({"tag": "Some", "value": 4}) == 4
    assert itf_decoder(ir.OptionalType(ir.IntType()))(4) == 4


@pytest.mark.parametrize("ty,j", [
    (ir.SetType(ir.IntType()), [1, 2]),  # a set must be {"#set": [...]}
    (ir.MapType(ir.IntType(), ir.IntType()), {"#set": []}),
    (ir.IntType(), "x"),
    (ir.RecordType((("a", ir.IntType()),)), {"b": 1}),
])
def test_malformed_json_raises_what_the_readers_catch(ty, j):
    with pytest.raises((TypeError, KeyError, ValueError)):
        itf_decoder(ty)(j)


@pytest.mark.parametrize("ty,j,msg", [
    (ir.IntType(), True, "expected an integer, got true"),
    (ir.IntType(), "3", 'expected an integer, got "3"'),
    (ir.IntType(), 2.5, "expected an integer, got 2.5"),
    (ir.BoolType(), 1, "expected a boolean, got 1"),
    (ir.BoolType(), "true", "expected a boolean"),
    (ir.SortType("Gfn"), 1, "expected a string, got 1"),
    (ir.StrType(), None, "expected a string, got null"),
    (ir.MapType(ir.IntType(), ir.BoolType()), {"#map": [[0, 0]]}, "expected a boolean, got 0"),
])
def test_json_types_are_checked_not_coerced(ty, j, msg):
    with pytest.raises(TypeError, match=msg):
        itf_decoder(ty)(j)
