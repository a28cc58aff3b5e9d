#!/usr/bin/env python3
"""How small an undoable BF16 delta could be: order-0 entropy bounds of delta layouts, step by step.

A checkout going back a step undoes the newer version's delta against the file at hand. Coral's
XOR deltas can be undone (the base's exponent, which the context-coded plane needs, is the file's
high byte XOR the delta's, when the contexts ignore the exponent's lowest bit); its zigzag integer
differences (ZIGZAG_PLANES, the smallest for BF16) cannot, since the base's exponent depends on the
borrow out of the low byte, which is not decoded yet. This script compares, on a training history
cut to bfloat16 (round to nearest even), the entropy each layout needs (conditional entropy of the
low plane given its context, plus the high plane's; no code tables, no grouping of contexts: a
bound, for comparing the layouts with each other, not the sizes Coral stores):

  zigzag, exponent ctx  the 16-bit difference zigzagged, low plane in the base's exponent (Coral's)
  zigzag, pair ctx      the same, contexts without the exponent's lowest bit
  xor, pair ctx         the XOR delta as Coral undoes it
  byte zigzag           each byte plane its own difference mod 256, zigzagged: no borrow crosses
                        planes, so going back the high plane gives the base's high byte, then the
                        low plane's context (the base's exponent without its lowest bit, and
                        whether the high byte changed) is known in both directions: undoable

Ratios are raw bytes over those bits. Measured 2026-12-06 on perf CheckpointFiles' 8 Adam steps of
the 84 MB MLP: zigzag 2.83-3.24, zigzag with pair contexts 2.67-3.14, XOR 2.31-2.73, byte zigzag
2.60-3.05: an undoable layout 6-8% larger than Coral's zigzag deltas, 10-12% smaller than its XOR
ones. Not built: the chooser would not pick it over zigzag, and as a setting it would trade
less than `codec.zigzag false` does (README, the checkout row).

    java -cp perf/target/classes:core/target/classes dev.coral.perf.stress.CheckpointFiles /tmp/ck 8
    python3 perf/tools/bf16-undoable-delta-estimate.py /tmp/ck/step-*.safetensors

Takes fp32 (cut to bfloat16) or BF16 safetensors files, in order; needs numpy.
"""
import json
import struct
import sys

import numpy as np


def load_bf16(path):
    """Every tensor of a safetensors file, as bfloat16 bit patterns, concatenated in header order."""
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    parts = []
    for name, t in header.items():
        if name == '__metadata__':
            continue
        start, end = t['data_offsets']
        raw = data[8 + n + start:8 + n + end]
        if t['dtype'] == 'F32':
            u = np.frombuffer(raw, dtype='<u4').astype(np.uint64)
            parts.append(((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16))
        elif t['dtype'] == 'BF16':
            parts.append(np.frombuffer(raw, dtype='<u2').copy())
    return np.concatenate(parts)


def bits(symbols):
    counts = np.bincount(symbols.astype(np.int64))
    counts = counts[counts > 0]
    return -(counts * np.log2(counts / counts.sum())).sum()


def bits_given(symbols, context):
    joint = np.bincount(context.astype(np.int64) * 256 + symbols.astype(np.int64))
    per_context = np.bincount(context.astype(np.int64))
    nz = np.nonzero(joint)[0]
    return -(joint[nz] * np.log2(joint[nz] / per_context[nz // 256])).sum()


def zigzag8(d):
    d = d.astype(np.int8).astype(np.int32)
    return ((d << 1) ^ (d >> 7)) & 0xFF


def main(paths):
    if len(paths) < 2:
        sys.exit('usage: bf16-undoable-delta-estimate.py CHECKPOINT CHECKPOINT [...] (safetensors, in order)')
    print('%-28s %10s %10s %10s %12s' % ('step', 'zigzag', 'zz pair', 'xor pair', 'byte zigzag'))
    prev = load_bf16(paths[0])
    for path in paths[1:]:
        cur = load_bf16(path)
        if cur.shape != prev.shape:
            sys.exit(f'{path}: {cur.size} elements, the step before had {prev.size}')
        raw_bits = 16 * cur.size
        a_hi, a_lo = (prev >> 8).astype(np.int32), (prev & 0xFF).astype(np.int32)
        b_hi, b_lo = (cur >> 8).astype(np.int32), (cur & 0xFF).astype(np.int32)
        exponent = ((prev >> 7) & 0xFF).astype(np.int64)
        pair = exponent >> 1
        diff = (cur.astype(np.int32) - prev.astype(np.int32)).astype(np.int16).astype(np.int32)
        zz = ((diff << 1) ^ (diff >> 15)) & 0xFFFF
        xor = (prev ^ cur).astype(np.int32)
        hi8, lo8 = zigzag8(b_hi - a_hi), zigzag8(b_lo - a_lo)
        layouts = [
            bits(zz >> 8) + bits_given(zz & 0xFF, exponent),
            bits(zz >> 8) + bits_given(zz & 0xFF, pair),
            bits(xor >> 8) + bits_given(xor & 0xFF, pair),
            bits(hi8) + bits_given(lo8, pair * 2 + (hi8 != 0)),
        ]
        print('%-28s %10.3f %10.3f %10.3f %12.3f' % ((path.split('/')[-1],) + tuple(raw_bits / b for b in layouts)))
        prev = cur


if __name__ == '__main__':
    main(sys.argv[1:])
