#!/usr/bin/env python3
"""Independent verifier of a spreiding audit-trail export (standard library only).

Written from the format's description in docs/AUDIT.md, not from the Rust code, so
that a third party (a journalist, an auditor, the Court of Audit) can check the record
without trusting spreiding's own verifier, and so that CI can use it as an oracle.

    spreiding audit export --format jsonl > trail.jsonl
    python3 tools/verify_audit.py trail.jsonl
    python3 tools/verify_audit.py trail.jsonl --checkpoint cp.json --public-key keys/audit.pub

Checks: every record's SHA-256 hash over its fields, every link to the previous record,
the sequence numbers 1, 2, 3, ... and, with --checkpoint, the Ed25519 signature of the
checkpoint under the given public key and that the record it signs is in the export
unchanged. Exit 0 when everything holds, 1 naming the first record or checkpoint that
does not, 2 for unreadable input.

Ed25519 verification follows RFC 8032, section 5.1.7, using the reference arithmetic of
its section 6 (pure Python; slow but only one signature is checked).
"""

import argparse
import base64
import hashlib
import json
import sys

# ---- Ed25519 (RFC 8032) -------------------------------------------------------------------

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493


def _inv(x):
    return pow(x, P - 2, P)


D = -121665 * _inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    aa = (a[1] - a[0]) * (b[1] - b[0]) % P
    bb = (a[1] + a[0]) * (b[1] + b[0]) % P
    cc = 2 * a[3] * b[3] * D % P
    dd = 2 * a[2] * b[2] % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        s >>= 1
    return acc


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * _inv(5) % P
_GX = _recover_x(_GY, 0)
G = (_GX, _GY, 1, _GX * _GY % P)


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def ed25519_verify(public, message, signature):
    """RFC 8032 5.1.7: True when `signature` is a valid signature of `message` by `public`."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_mul(s, G), _add(r, _mul(h, a)))


# ---- the audit trail ----------------------------------------------------------------------

GENESIS = "genesis"
CHECKPOINT_FORMAT = "spreiding-audit-checkpoint/1"
# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the key is the last 32 bytes.
SPKI_ED25519 = bytes.fromhex("302a300506032b6570032100")


class NotOk(Exception):
    pass


def record_hash(r):
    """SHA-256 over the previous hash and the fields, each followed by U+001F; a missing
    cycle or reason is U+0000; the state digests follow when the record has them."""
    fields = [
        r["prev_hash"],
        str(r["seq"]),
        r["recorded_at"],
        r["effective_date"],
        r["actor"],
        r["role"],
        r["action"],
        r["cycle_id"] if r.get("cycle_id") is not None else "\x00",
        r["subject"],
        r["reason"] if r.get("reason") is not None else "\x00",
        r["before_json"],
        r["after_json"],
    ]
    if r.get("state_json"):
        fields.append(r["state_json"])
    h = hashlib.sha256()
    for f in fields:
        h.update(f.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def read_export(path):
    records = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path} line {n}: not JSON ({e}); use `spreiding audit export --format jsonl`")
    return records


def verify_chain(records):
    prev = GENESIS
    for i, r in enumerate(records):
        want = i + 1
        if r["seq"] != want:
            raise NotOk(f"record {want} is missing (the next one found is {r['seq']})")
        if r["prev_hash"] != prev:
            raise NotOk(f"record {r['seq']}: its link does not match: record {r['seq'] - 1} was changed or removed")
        h = record_hash(r)
        if h != r["hash"]:
            raise NotOk(f"record {r['seq']}: its content does not match its hash: the record was edited")
        prev = h
    return prev


def read_public_key(path):
    with open(path, encoding="ascii") as f:
        text = f.read()
    body = "".join(l for l in text.splitlines() if l and not l.startswith("-----"))
    der = base64.b64decode(body)
    if len(der) != 44 or not der.startswith(SPKI_ED25519):
        raise ValueError(f"{path}: not an Ed25519 public key in PEM (use the PREFIX.pub of `spreiding audit keygen`)")
    return der[12:]


def verify_checkpoint(records, cp, public):
    if cp.get("format") != CHECKPOINT_FORMAT:
        raise NotOk(f"checkpoint: unknown format {cp.get('format')!r}")
    message = f"{cp['format']}\n{cp['seq']}\n{cp['hash']}\n{cp['signed_at']}\n".encode("utf-8")
    try:
        signature = bytes.fromhex(cp["signature"])
    except ValueError:
        raise NotOk("checkpoint: the signature is not hex")
    if not ed25519_verify(public, message, signature):
        raise NotOk(f"checkpoint {cp['seq']}: the signature does not hold for this public key")
    seq = cp["seq"]
    if seq > len(records):
        raise NotOk(f"the checkpoint signs {seq} records but the export has only {len(records)}: records were removed")
    if seq > 0 and records[seq - 1]["hash"] != cp["hash"]:
        raise NotOk(f"record {seq} does not match the checkpoint: records up to {seq} were changed, removed or re-sealed")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="the JSONL file `spreiding audit export --format jsonl` wrote")
    ap.add_argument("--checkpoint", help="a checkpoint JSON (`spreiding audit checkpoint`)")
    ap.add_argument("--public-key", help="the trusted public key (PREFIX.pub)")
    a = ap.parse_args(argv)
    if bool(a.checkpoint) != bool(a.public_key):
        print("--checkpoint and --public-key go together", file=sys.stderr)
        return 2
    try:
        records = read_export(a.export)
        cp = public = None
        if a.checkpoint:
            with open(a.checkpoint, encoding="utf-8") as f:
                cp = json.load(f)
            public = read_public_key(a.public_key)
    except (OSError, ValueError, KeyError) as e:
        print(f"cannot read the input: {e}", file=sys.stderr)
        return 2
    try:
        head = verify_chain(records)
        if cp is not None:
            verify_checkpoint(records, cp, public)
    except NotOk as e:
        print(f"NOT OK: {e}")
        return 1
    except KeyError as e:
        print(f"cannot read the input: a record lacks the field {e}", file=sys.stderr)
        return 2
    extra = f"; checkpoint {cp['seq']} holds" if cp is not None else ""
    print(f"OK: {len(records)} records, head {head}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
