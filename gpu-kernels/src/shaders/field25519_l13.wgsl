// GF(2^255 - 19) in 20 limbs of 13 bits in u32, core WGSL.
//
// Core WGSL has no 32x32->64 multiply. With 13-bit limbs a product fits in 26 bits and a
// column of 20 products stays below 2^31, so a schoolbook multiply needs no carries until the
// end (the "13-bit limbs with deferred carries" of the ZPrize 2023 WebGPU MSM entries).
//
// Invariant of every value passed between functions ("carried"): limb 0 < 2^14, limbs 1..19
// < 2^13. Values are kept modulo 32p = 2^260 - 608 and made canonical only to compare.
// fe_carry, fe_propagate, fe_add, fe_sub, fe_mul and fe_sq: see field25519_l13_ops.wgsl
// (generated).

alias Fe = array<u32, 20>;
const FE_LIMBS: u32 = 20u;

const MASK13: u32 = 0x1fffu;
// 2^260 = 608 (mod p): the weight of a carry out of limb 19.
const FOLD: u32 = 608u;

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
