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

// fe_carry, fe_propagate, fe_add, fe_sub, fe_mul and fe_sq: see field25519_ops.wgsl
// (generated).

fn fe_neg(a: Fe) -> Fe {
    return fe_sub(FE_ZERO, a);
}

// The unique representative below p, limbs below 2^13.
fn fe_canonical(a: Fe) -> Fe {
    var r = fe_carry(a);
    for (var round = 0u; round < 2u; round++) {
        // Limb 19 holds bits 247..259; fold bits 255 and up with 2^255 = 19 (mod p).
        let top = r[19] >> 8u;
        r[19] = r[19] & 0xffu;
        r[0] = r[0] + 19u * top;
        r = fe_propagate(r);
    }
    // Now r < 2^255 + 19 < 2p: subtract p when r + 19 reaches 2^255.
    var t = r;
    t[0] = t[0] + 19u;
    t = fe_propagate(t);
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

// The addition chain of ref10 for z^((p-5)/8) = z^(2^252 - 3), as steps
// regs[dst] = regs[src]^(2^squarings) * regs[factor], over registers z, t0, t1. A table and one
// loop keep a single squaring and a single multiplication in the shader: software compilers
// such as lavapipe's inline every call, so each call site costs compile time.
const POW_Z: u32 = 0u;
const POW_T0: u32 = 1u;
const POW_T1: u32 = 2u;
const POW_NONE: u32 = 3u;
const POW22523_STEPS = array<vec4<u32>, 12>(
    // (dst, src, squarings, factor)
    vec4<u32>(POW_T0, POW_Z, 1u, POW_NONE),
    vec4<u32>(POW_T1, POW_T0, 2u, POW_Z),
    vec4<u32>(POW_T0, POW_T0, 0u, POW_T1),
    vec4<u32>(POW_T0, POW_T0, 1u, POW_T1),
    vec4<u32>(POW_T0, POW_T0, 5u, POW_T0),
    vec4<u32>(POW_T1, POW_T0, 10u, POW_T0),
    vec4<u32>(POW_T1, POW_T1, 20u, POW_T1),
    vec4<u32>(POW_T0, POW_T1, 10u, POW_T0),
    vec4<u32>(POW_T1, POW_T0, 50u, POW_T0),
    vec4<u32>(POW_T1, POW_T1, 100u, POW_T1),
    vec4<u32>(POW_T0, POW_T1, 50u, POW_T0),
    vec4<u32>(POW_T0, POW_T0, 2u, POW_Z),
);

fn fe_pow22523(z: Fe) -> Fe {
    var regs: array<Fe, 4>;
    regs[POW_Z] = z;
    regs[POW_NONE] = FE_ONE;
    for (var step = 0u; step < 12u; step++) {
        let s = POW22523_STEPS[step];
        var acc = regs[s.y];
        for (var k = 0u; k < s.z; k++) {
            acc = fe_sq(acc);
        }
        regs[s.x] = fe_mul(acc, regs[s.w]);
    }
    return regs[POW_T0];
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

// The canonical 32-byte little-endian encoding of `a`, as eight words.
fn fe_to_words(a: Fe) -> array<u32, 8> {
    let c = fe_canonical(a);
    var w: array<u32, 8>;
    for (var i = 0u; i < 20u; i++) {
        let bit = 13u * i;
        let word = bit / 32u;
        let shift = bit % 32u;
        w[word] = w[word] | (c[i] << shift);
        if (shift > 19u && word < 7u) {
            w[word + 1u] = w[word + 1u] | (c[i] >> (32u - shift));
        }
    }
    return w;
}
