// GF(2^255 - 19) in 16 limbs of 16 bits in u32, core WGSL.
//
// A product of two 16-bit limbs fills a u32, so the multiplication splits each product into
// halves that go to two columns (see field25519_l16_ops.wgsl, generated): 256 products
// instead of the 400 of 13-bit limbs, each with a mask and a shift more.
//
// Invariant of every value passed between functions ("carried"): every limb < 2^16, that is
// any value below 2^256. fe_carry, fe_propagate, fe_add, fe_sub, fe_mul and fe_sq: see
// field25519_l16_ops.wgsl.

alias Fe = array<u32, 16>;
const FE_LIMBS: u32 = 16u;

// The unique representative below p, limbs below 2^16.
fn fe_canonical(a: Fe) -> Fe {
    // a < 2^256 = 2 * 2^255: fold bit 255 with 2^255 = 19 (mod p), leaving r < 2^255 + 19 < 2p.
    var r = a;
    let top = r[15] >> 15u;
    r[15] = r[15] & 0x7fffu;
    r[0] = r[0] + 19u * top;
    r = fe_propagate(r);
    // Subtract p when r + 19 reaches 2^255.
    var t = r;
    t[0] = t[0] + 19u;
    t = fe_propagate(t);
    if ((t[15] >> 15u) != 0u) {
        t[15] = t[15] & 0x7fffu;
        return t;
    }
    return r;
}

// Reads a 32-byte little-endian encoding, ignoring bit 255. Values p..2^255-1 are accepted
// and reduced, as curve25519-dalek's FieldElement::from_bytes does.
fn fe_from_words(w: array<u32, 8>) -> Fe {
    var r: Fe;
    for (var i = 0u; i < 8u; i++) {
        r[2u * i] = w[i] & 0xffffu;
        r[2u * i + 1u] = w[i] >> 16u;
    }
    r[15] = r[15] & 0x7fffu;
    return r;
}

// The canonical 32-byte little-endian encoding of `a`, as eight words.
fn fe_to_words(a: Fe) -> array<u32, 8> {
    let c = fe_canonical(a);
    var w: array<u32, 8>;
    for (var i = 0u; i < 8u; i++) {
        w[i] = c[2u * i] | (c[2u * i + 1u] << 16u);
    }
    return w;
}
