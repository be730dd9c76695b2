"""Composite codecs decode their parts (a map's values, a sequence's
elements, a record's fields) through bounded memos
(pyspec/compile/layout.py, ``part_decoder``): the decoded values must be
the values encoded, also after a memo was cleared, and equal parts of two
states decode to one object (that sharing is what makes it fast)."""

from __future__ import annotations

import itertools

from pyspec.compile import layout
from pyspec.compile.layout import IdentityCodec, IntCodec, MapCodec, ProductCodec, SeqCodec
from pyspec.compile.runtime import rec_own
from pyspec.values import FMap


def _network_codec() -> MapCodec:
    """map[0..2, map[0..2, seq[record(clock: 0..7, type: MsgType)]]], as LamportMutex's network."""
    msg = ProductCodec([IntCodec(0, 7), IdentityCodec(3)], ["clock", "type"])
    return MapCodec(IdentityCodec(3), MapCodec(IdentityCodec(3), SeqCodec(msg, 2)))


def _values():
    msgs = [rec_own({"clock": c, "type": t}) for c in (0, 5) for t in (0, 2)]
    chans = [()] + [(m,) for m in msgs] + [(a, b) for a, b in itertools.product(msgs[:2], msgs[2:])]
    rows = [FMap({0: a, 1: b, 2: ()}) for a, b in itertools.product(chans[:4], chans[3:])]
    for a, b in itertools.product(rows[:6], rows[4:]):
        yield FMap({0: a, 1: b, 2: rows[0]})


def test_decode_gives_the_encoded_value_and_shares_equal_parts(monkeypatch):
    monkeypatch.setattr(layout, "PART_MEMO_LIMIT", 7)  # memos cleared again and again
    codec = _network_codec()
    codes = []
    for v in _values():
        c = codec.enc(v)
        assert c is not None
        codes.append(c)
        assert codec.dec(c) == v
    for c in codes:  # again, after the memos were cleared
        assert codec.enc(codec.dec(c)) == c
    a, b = codec.dec(codes[0]), codec.dec(codes[1])
    assert a[2] == b[2] and a[2] is b[2]  # one object for the same row, decoded twice in a row
