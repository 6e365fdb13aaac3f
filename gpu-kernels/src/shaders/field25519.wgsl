// Arithmetic in GF(2^255 - 19) with 20 limbs of 13 bits in u32.
//
// Core WGSL has no 32x32->64 multiply. With 13-bit limbs a product fits in 26 bits and a
// column of 20 products stays below 2^31, so a schoolbook multiply needs no carries until the
// end (the "13-bit limbs with deferred carries" of the ZPrize 2023 WebGPU MSM entries).
//
// Invariant of every value passed between functions ("carried"): limb 0 < 2^14, limbs 1..19
// < 2^13. Values are kept modulo 32p = 2^260 - 608 and made canonical only to compare.

alias Fe = array<u32, 20>;

const MASK13: u32 = 0x1fffu;
// 2^260 = 608 (mod p): the weight of a carry out of limb 19.
const FOLD: u32 = 608u;

fn fe_carry(a: Fe) -> Fe {
    var r = a;
    var c = 0u;
    for (var i = 0u; i < 20u; i++) {
        let v = r[i] + c;
        r[i] = v & MASK13;
        c = v >> 13u;
    }
    r[0] = r[0] + c * FOLD;
    c = 0u;
    for (var i = 0u; i < 20u; i++) {
        let v = r[i] + c;
        r[i] = v & MASK13;
        c = v >> 13u;
    }
    r[0] = r[0] + c * FOLD;
    return r;
}

fn fe_add(a: Fe, b: Fe) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 20u; i++) {
        r[i] = a[i] + b[i];
    }
    return fe_carry(r);
}

fn fe_sub(a: Fe, b: Fe) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 20u; i++) {
        r[i] = a[i] + FE_64P[i] - b[i];
    }
    return fe_carry(r);
}

fn fe_neg(a: Fe) -> Fe {
    return fe_sub(FE_ZERO, a);
}

fn fe_mul(a: Fe, b: Fe) -> Fe {
    var t: array<u32, 40>;
    for (var i = 0u; i < 20u; i++) {
        for (var j = 0u; j < 20u; j++) {
            t[i + j] = t[i + j] + a[i] * b[j];
        }
    }
    var c = 0u;
    for (var k = 0u; k < 39u; k++) {
        let v = t[k] + c;
        t[k] = v & MASK13;
        c = v >> 13u;
    }
    t[39] = c;
    var r: Fe;
    for (var k = 0u; k < 20u; k++) {
        r[k] = t[k] + FOLD * t[k + 20u];
    }
    return fe_carry(r);
}

fn fe_sq(a: Fe) -> Fe {
    return fe_mul(a, a);
}

// a^(2^n)
fn fe_sqn(a: Fe, n: u32) -> Fe {
    var r = a;
    for (var i = 0u; i < n; i++) {
        r = fe_sq(r);
    }
    return r;
}

// The unique representative below p, limbs below 2^13.
fn fe_canonical(a: Fe) -> Fe {
    var r = fe_carry(a);
    for (var round = 0u; round < 2u; round++) {
        // Limb 19 holds bits 247..259; fold bits 255 and up with 2^255 = 19 (mod p).
        let top = r[19] >> 8u;
        r[19] = r[19] & 0xffu;
        r[0] = r[0] + 19u * top;
        var c = 0u;
        for (var i = 0u; i < 20u; i++) {
            let v = r[i] + c;
            r[i] = v & MASK13;
            c = v >> 13u;
        }
    }
    // Now r < 2^255 + 19 < 2p: subtract p when r + 19 reaches 2^255.
    var t = r;
    t[0] = t[0] + 19u;
    var c = 0u;
    for (var i = 0u; i < 20u; i++) {
        let v = t[i] + c;
        t[i] = v & MASK13;
        c = v >> 13u;
    }
    if ((t[19] >> 8u) != 0u) {
        t[19] = t[19] & 0xffu;
        return t;
    }
    return r;
}

fn fe_eq(a: Fe, b: Fe) -> bool {
    let x = fe_canonical(a);
    let y = fe_canonical(b);
    var same = true;
    for (var i = 0u; i < 20u; i++) {
        same = same && x[i] == y[i];
    }
    return same;
}

fn fe_is_zero(a: Fe) -> bool {
    return fe_eq(a, FE_ZERO);
}

// Whether the canonical encoding is odd ("negative" in RFC 8032 terms).
fn fe_is_negative(a: Fe) -> bool {
    return (fe_canonical(a)[0] & 1u) == 1u;
}

// Reads a 32-byte little-endian encoding, ignoring bit 255. Values p..2^255-1 are accepted
// and reduced, as curve25519-dalek's FieldElement::from_bytes does.
fn fe_from_words(w: array<u32, 8>) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 20u; i++) {
        let bit = 13u * i;
        let word = bit / 32u;
        let shift = bit % 32u;
        var v = w[word] >> shift;
        if (shift > 19u && word < 7u) {
            v = v | (w[word + 1u] << (32u - shift));
        }
        r[i] = v & MASK13;
    }
    r[19] = r[19] & 0xffu;
    return r;
}

// z^((p-5)/8) = z^(2^252 - 3), the addition chain of ref10.
fn fe_pow22523(z: Fe) -> Fe {
    var t0 = fe_sq(z);
    var t1 = fe_sqn(t0, 2u);
    t1 = fe_mul(z, t1);
    t0 = fe_mul(t0, t1);
    t0 = fe_sq(t0);
    t0 = fe_mul(t1, t0);
    t1 = fe_sqn(t0, 5u);
    t0 = fe_mul(t1, t0);
    t1 = fe_sqn(t0, 10u);
    t1 = fe_mul(t1, t0);
    var t2 = fe_sqn(t1, 20u);
    t1 = fe_mul(t2, t1);
    t1 = fe_sqn(t1, 10u);
    t0 = fe_mul(t1, t0);
    t1 = fe_sqn(t0, 50u);
    t1 = fe_mul(t1, t0);
    t2 = fe_sqn(t1, 100u);
    t1 = fe_mul(t2, t1);
    t1 = fe_sqn(t1, 50u);
    t0 = fe_mul(t1, t0);
    t0 = fe_sqn(t0, 2u);
    return fe_mul(t0, z);
}

struct SqrtRatio {
    was_square: bool,
    root: Fe,
}

// curve25519-dalek's FieldElement::sqrt_ratio_i: the non-negative sqrt(u/v) when u/v is a
// square (u = 0 included), else sqrt(i*u/v), with a flag saying which.
fn fe_sqrt_ratio_i(u: Fe, v: Fe) -> SqrtRatio {
    let v3 = fe_mul(fe_sq(v), v);
    let v7 = fe_mul(fe_sq(v3), v);
    var r = fe_mul(fe_mul(u, v3), fe_pow22523(fe_mul(u, v7)));
    let check = fe_mul(v, fe_sq(r));
    let neg_u = fe_neg(u);
    let correct_sign = fe_eq(check, u);
    let flipped_sign = fe_eq(check, neg_u);
    let flipped_sign_i = fe_eq(check, fe_mul(neg_u, FE_SQRT_M1));
    if (flipped_sign || flipped_sign_i) {
        r = fe_mul(r, FE_SQRT_M1);
    }
    if (fe_is_negative(r)) {
        r = fe_neg(r);
    }
    return SqrtRatio(correct_sign || flipped_sign, r);
}
