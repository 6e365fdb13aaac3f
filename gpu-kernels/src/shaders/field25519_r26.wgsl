// GF(2^255 - 19) in 10 limbs of alternately 26 and 25 bits (radix 2^25.5, as ref10) in u32,
// with 64-bit products: needs the adapter's SHADER_INT64 (u64 in WGSL).
//
// The products of a multiplication accumulate in u64 columns without being split, and the
// additions and subtractions stay in u32 (on a SIMD CPU such as lavapipe's, twice as many u32
// lanes as u64 lanes). Invariant of every value passed between functions ("carried"): even limbs
// < 2^26, odd limbs < 2^25, limb 1 < 2^25 + 2^15. fe_carry, fe_propagate, fe_add, fe_sub, fe_mul
// and fe_sq: see field25519_r26_ops.wgsl (generated).

alias Fe = array<u32, 10>;
const FE_LIMBS: u32 = 10u;

const M26: u32 = 0x3ffffffu;
const M25: u32 = 0x1ffffffu;
// Each limb's first bit in the 255-bit value.
const R26_OFFSETS = array<u32, 10>(0u, 26u, 51u, 77u, 102u, 128u, 153u, 179u, 204u, 230u);

// The unique representative below p, every limb within its width.
fn fe_canonical(a: Fe) -> Fe {
    var r = fe_carry(a);
    for (var round = 0u; round < 2u; round++) {
        // Limb 9 holds bits 230..254 and anything past them: fold it with 2^255 = 19 (mod p).
        let top = r[9] >> 25u;
        r[9] = r[9] & M25;
        r[0] = r[0] + 19u * top;
        r = fe_propagate(r);
    }
    // Now r < 2^255 + 19 < 2p: subtract p when r + 19 reaches 2^255.
    var t = r;
    t[0] = t[0] + 19u;
    t = fe_propagate(t);
    if ((t[9] >> 25u) != 0u) {
        t[9] = t[9] & M25;
        return t;
    }
    return r;
}

// Reads a 32-byte little-endian encoding, ignoring bit 255. Values p..2^255-1 are accepted
// and reduced, as curve25519-dalek's FieldElement::from_bytes does.
fn fe_from_words(w: array<u32, 8>) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 10u; i++) {
        let bit = R26_OFFSETS[i];
        let word = bit / 32u;
        let shift = bit % 32u;
        var v = w[word] >> shift;
        if (shift > 0u && word < 7u) {
            v = v | (w[word + 1u] << (32u - shift));
        }
        r[i] = v & select(M25, M26, i % 2u == 0u);
    }
    return r;
}

// The canonical 32-byte little-endian encoding of `a`, as eight words.
fn fe_to_words(a: Fe) -> array<u32, 8> {
    let c = fe_canonical(a);
    var w: array<u32, 8>;
    for (var i = 0u; i < 10u; i++) {
        let bit = R26_OFFSETS[i];
        let word = bit / 32u;
        let shift = bit % 32u;
        w[word] = w[word] | (c[i] << shift);
        if (shift > 0u && word < 7u) {
            w[word + 1u] = w[word + 1u] | (c[i] >> (32u - shift));
        }
    }
    return w;
}
