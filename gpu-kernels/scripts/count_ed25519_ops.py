#!/usr/bin/env python3
"""Counts the field multiplications and squarings one ed25519 verification costs in the GPU
kernel (src/shaders/ed25519_verify.wgsl), by running a model of the kernel's exact sequence of
field operations on Python integers with a counter on fe_mul and fe_sq.

Two models: `old`, the kernel before issue 25 (one complete addition for every doubling,
unsigned 4-bit windows for both scalars, the 14-step table build, four additions to multiply
by 8), and `new`, the kernel after it (the schedule of ed25519_verify.wgsl: dedicated
doublings, signed radix-16 digits of k against [1..8](-A), signed radix-256 digits of S against
the precomputed [1..128]B read from a storage buffer, no doubling of the identity, the fourth
coordinate T only where an addition follows). Both run on RFC 8032's test vector 1 and on
signatures made here, and the script asserts each model's verdicts (valid, a flipped bit of R,
S and M, a small-order A with S = 0) so that the counts are those of a working verification.

Usage: python3 scripts/count_ed25519_ops.py"""

import hashlib
import random

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
D2 = 2 * D % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


class Counter:
    def __init__(self):
        self.mul = 0
        self.sq = 0

    def m(self, a, b):
        self.mul += 1
        return a * b % P

    def s(self, a):
        self.sq += 1
        return a * a % P


# fe_pow22523's steps: (dst, src, squarings, factor), registers z, t0, t1, one.
POW22523_STEPS = [
    (1, 0, 1, 3), (2, 1, 2, 0), (1, 1, 0, 2), (1, 1, 1, 2), (1, 1, 5, 1), (2, 1, 10, 1),
    (2, 2, 20, 2), (1, 2, 10, 1), (2, 1, 50, 1), (2, 2, 100, 2), (1, 2, 50, 1), (1, 1, 2, 0),
]


def pow22523(c, z):
    regs = [z, 0, 0, 1]
    for dst, src, squarings, factor in POW22523_STEPS:
        acc = regs[src]
        for _ in range(squarings):
            acc = c.s(acc)
        regs[dst] = c.m(acc, regs[factor])
    return regs[1]


def decompress(c, enc):
    """ext_decompress of edwards.wgsl and fe_sqrt_ratio_i of field25519.wgsl."""
    y = int.from_bytes(enc, "little") & ((1 << 255) - 1)
    yy = c.s(y)
    u = (yy - 1) % P
    v = (c.m(yy, D) + 1) % P
    v3 = c.m(c.s(v), v)
    v7 = c.m(c.s(v3), v)
    r = c.m(c.m(u, v3), pow22523(c, c.m(u, v7)))
    check = c.m(v, c.s(r))
    neg_u = (-u) % P
    correct = check == u % P
    flipped = check == neg_u
    flipped_i = check == c.m(neg_u, SQRT_M1)
    if flipped or flipped_i:
        r = c.m(r, SQRT_M1)
    if r % P % 2 == 1:
        r = (-r) % P
    x = r
    if enc[31] >> 7:
        x = (-x) % P
    return (correct or flipped), (x, y % P, 1, c.m(x, y))


def challenge(public, signature, message):
    digest = hashlib.sha512(signature[:32] + public + message).digest()
    return int.from_bytes(digest, "little") % L


# Points: extended (X, Y, Z, T); cached (Y+X, Y-X, 2Z, 2dT); affine Niels (y+x, y-x, 2dxy).

def to_cached(c, p):
    x, y, z, t = p
    return ((y + x) % P, (y - x) % P, 2 * z % P, c.m(t, D2))


def ext_add_full(c, p, q):
    """add-2008-hwcd-3 into extended coordinates: the old kernel's only group operation."""
    x, y, z, t = p
    ypx, ymx, z2, t2d = q
    a = c.m((y - x) % P, ymx)
    b = c.m((y + x) % P, ypx)
    cc = c.m(t, t2d)
    d = c.m(z, z2)
    e, f, g, h = (b - a) % P, (d - cc) % P, (d + cc) % P, (b + a) % P
    return (c.m(e, f), c.m(g, h), c.m(f, g), c.m(e, h))


def is_identity(p):
    x, y, z = p[0], p[1], p[2]
    return x % P == 0 and (y - z) % P == 0


def verify_old(c, public, signature, message):
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    ok_a, a = decompress(c, public)
    if not ok_a:
        return False
    ok_r, r = decompress(c, signature[:32])
    if not ok_r:
        return False
    k = challenge(public, signature, message)
    neg_a = ((-a[0]) % P, a[1], a[2], (-a[3]) % P)
    identity_cached = (1, 1, 2, 0)
    table = [identity_cached, to_cached(c, neg_a)]
    multiple = neg_a
    for _ in range(14):
        multiple = ext_add_full(c, multiple, table[1])
        table.append(to_cached(c, multiple))
    base = base_point()
    base_table = [(1, 1, 2, 0)]
    acc_b = (0, 1, 1, 0)
    for _ in range(15):
        acc_b = plain_add(acc_b, base)
        bx, by = affine(acc_b)
        base_table.append(((by + bx) % P, (by - bx) % P, 2, D2 * bx * by % P))
    q = (0, 1, 1, 0)
    for window in range(63, -1, -1):
        for _ in range(4):
            q = ext_add_full(c, q, to_cached(c, q))
        digit = (k >> (4 * window)) & 15
        if digit:
            q = ext_add_full(c, q, table[digit])
        digit = (s >> (4 * window)) & 15
        if digit:
            q = ext_add_full(c, q, base_table[digit])
    neg_q = ((-q[0]) % P, q[1], q[2], (-q[3]) % P)
    acc = ext_add_full(c, r, to_cached(c, neg_q))
    for _ in range(3):
        acc = ext_add_full(c, acc, to_cached(c, acc))
    return is_identity(acc)


# The new kernel's group operations: a step computes the "completed" point (E, F, G, H) of a
# doubling (four squarings) or an addition (four products, three against an affine Niels
# entry), then X = E*F... as ref10: X3 = X*T, Y3 = Y*Z, Z3 = Z*T and T3 = X*Y when an addition
# follows.

def dbl_completed(c, p):
    x, y, z = p[0], p[1], p[2]
    xx = c.s(x)
    yy = c.s(y)
    zz2 = 2 * c.s(z) % P
    xpy2 = c.s((x + y) % P)
    yy_plus_xx = (yy + xx) % P
    yy_minus_xx = (yy - xx) % P
    return ((xpy2 - yy_plus_xx) % P, yy_plus_xx, yy_minus_xx, (zz2 - yy_minus_xx) % P)


def add_completed(c, p, q, affine_niels):
    x, y, z, t = p
    if affine_niels:
        ypx, ymx, t2d = q
        zz = 2 * z % P
    else:
        ypx, ymx, z2, t2d = q
        zz = c.m(z, z2)
    pp = c.m((y + x) % P, ypx)
    mm = c.m((y - x) % P, ymx)
    tt = c.m(t2d, t)
    return ((pp - mm) % P, (pp + mm) % P, (zz + tt) % P, (zz - tt) % P)


def from_completed(c, r, need_t):
    x, y, z, t = r
    return (c.m(x, t), c.m(y, z), c.m(z, t), c.m(x, y) if need_t else None)


def signed_digit(scalar, window, bits):
    """window's digit of the recoding with digits in [-2^(bits-1), 2^(bits-1)]: the window's
    bits, plus the bit below it, minus 2^bits times its top bit (Booth)."""
    low = (scalar >> (bits * window - 1)) & 1 if window > 0 else 0
    top = (scalar >> (bits * window + bits - 1)) & 1
    return ((scalar >> (bits * window)) & ((1 << bits) - 1)) + low - (top << bits)


def base_niels_table():
    base = base_point()
    table = []
    acc = (0, 1, 1, 0)
    for _ in range(128):
        acc = plain_add(acc, base)
        bx, by = affine(acc)
        table.append(((by + bx) % P, (by - bx) % P, D2 * bx * by % P))
    return table


BASE_NIELS = None


def verify_new(c, public, signature, message):
    global BASE_NIELS
    if BASE_NIELS is None:
        BASE_NIELS = base_niels_table()
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    ok_a, a = decompress(c, public)
    if not ok_a:
        return False
    ok_r, r = decompress(c, signature[:32])
    if not ok_r:
        return False
    k = challenge(public, signature, message)
    neg_a = ((-a[0]) % P, a[1], a[2], (-a[3]) % P)
    # [1..8](-A), cached: seven additions of -A.
    table = [to_cached(c, neg_a)]
    acc = neg_a
    for _ in range(7):
        acc = from_completed(c, add_completed(c, acc, table[0], False), True)
        table.append(to_cached(c, acc))
    acc = (0, 1, 1, 0)
    for window in range(63, -1, -1):
        if window < 63:
            for i in range(4):
                acc = from_completed(c, dbl_completed(c, acc), i == 3)
        digit = signed_digit(k, window, 4)
        q = table[abs(digit) - 1] if digit else (1, 1, 2, 0)
        if digit < 0:
            q = (q[1], q[0], q[2], (-q[3]) % P)
        adds_b = window % 2 == 0
        acc = from_completed(c, add_completed(c, acc, q, False), adds_b)
        if adds_b:
            digit = signed_digit(s, window // 2, 8)
            q = BASE_NIELS[abs(digit) - 1] if digit else (1, 1, 0)
            if digit < 0:
                q = (q[1], q[0], (-q[2]) % P)
            acc = from_completed(c, add_completed(c, acc, q, True), window == 0)
    neg_r = ((-r[0]) % P, r[1], r[2], (-r[3]) % P)
    acc = from_completed(c, add_completed(c, acc, to_cached(c, neg_r), False), False)
    for _ in range(3):
        acc = from_completed(c, dbl_completed(c, acc), False)
    return is_identity(acc)


# Plain affine arithmetic for tables and signing (not counted: the host or the generator does it).

def base_point():
    y = 4 * pow(5, P - 2, P) % P
    xx = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * SQRT_M1 % P
    if x % 2:
        x = P - x
    return (x, y, 1, x * y % P)


def affine(p):
    zi = pow(p[2], P - 2, P)
    return (p[0] * zi % P, p[1] * zi % P)


def plain_add(p, q):
    x1, y1 = affine(p)
    x2, y2 = affine(q)
    dxy = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + dxy, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - dxy, P - 2, P) % P
    return (x3, y3, 1, x3 * y3 % P)


def scalar_mul(k, p):
    acc = (0, 1, 1, 0)
    while k:
        if k & 1:
            acc = plain_add(acc, p)
        p = plain_add(p, p)
        k >>= 1
    return acc


def encode(p):
    x, y = affine(p)
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def sign(seed, message):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    public = encode(scalar_mul(a, base_point()))
    r = int.from_bytes(hashlib.sha512(h[32:] + message).digest(), "little") % L
    big_r = encode(scalar_mul(r, base_point()))
    k = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little") % L
    s = (r + k * a) % L
    return public, big_r + s.to_bytes(32, "little")


def cases():
    rng = random.Random(25)
    # RFC 8032, test 1.
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    yield "RFC 8032 test 1", public, signature, b"", True
    for i in range(3):
        seed = bytes(rng.randrange(256) for _ in range(32))
        message = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        public, signature = sign(seed, message)
        yield f"valid #{i}", public, signature, message, True
        bad_r = bytearray(signature)
        bad_r[3] ^= 4
        yield f"R flipped #{i}", public, bytes(bad_r), message, False
        bad_s = bytearray(signature)
        bad_s[40] ^= 1
        yield f"S flipped #{i}", public, bytes(bad_s), message, False
        yield f"M changed #{i}", public, signature, message + b"x", False
    # ZIP-215: A the identity's encoding and R of order 4, S = 0: accepted.
    identity = (1).to_bytes(32, "little")
    order4 = (0).to_bytes(32, "little")
    yield "small-order A and R, S = 0", identity, order4 + bytes(32), b"Zcash", True


def main():
    totals = {}
    for name, verify in (("old", verify_old), ("new", verify_new)):
        runs = []
        for what, public, signature, message, expected in cases():
            c = Counter()
            got = verify(c, public, signature, message)
            assert got == expected, (name, what, got)
            if expected:
                runs.append((c.mul, c.sq))
        mul = sum(m for m, _ in runs) / len(runs)
        sq = sum(s for _, s in runs) / len(runs)
        totals[name] = (mul, sq)
        print(f"{name}: {mul:.1f} multiplications + {sq:.1f} squarings = {mul + sq:.1f} per "
              f"accepted verification (mean of {len(runs)}), every model verdict as expected")
    (om, os_), (nm, ns) = totals["old"], totals["new"]
    print(f"new / old: multiplications {nm / om:.3f}, squarings {ns / os_:.3f}, "
          f"both {(nm + ns) / (om + os_):.3f}")


if __name__ == "__main__":
    main()
