// GF(2^255 - 19) in 8 limbs of 32 bits with 64-bit products: needs the adapter's
// SHADER_INT64 (u64 and i64 in WGSL).
//
// Every value below 2^256 is "carried": the limbs are the value's eight little-endian words.
// fe_add, fe_sub, fe_mul and fe_sq: see field25519_w32_ops.wgsl (generated).

alias Fe = array<u32, 8>;
const FE_LIMBS: u32 = 8u;

// a + small, with the carry out of the top word (for values where it is known to be zero).
fn fe_add_small(a: Fe, small: u32) -> Fe {
    var r: Fe;
    var c = u64(small);
    for (var i = 0u; i < 8u; i++) {
        let v = u64(a[i]) + c;
        r[i] = u32(v & 0xfffffffflu);
        c = v >> 32u;
    }
    return r;
}

// The unique representative below p.
fn fe_canonical(a: Fe) -> Fe {
    // a < 2^256: fold bit 255 with 2^255 = 19 (mod p), leaving r < 2^255 + 19 < 2p.
    var r = a;
    let top = r[7] >> 31u;
    r[7] = r[7] & 0x7fffffffu;
    r = fe_add_small(r, 19u * top);
    // Subtract p when r + 19 reaches 2^255.
    var t = fe_add_small(r, 19u);
    if ((t[7] >> 31u) != 0u) {
        t[7] = t[7] & 0x7fffffffu;
        return t;
    }
    return r;
}

// Reads a 32-byte little-endian encoding, ignoring bit 255. Values p..2^255-1 are accepted
// and reduced, as curve25519-dalek's FieldElement::from_bytes does.
fn fe_from_words(w: array<u32, 8>) -> Fe {
    var r = w;
    r[7] = r[7] & 0x7fffffffu;
    return r;
}

// The canonical 32-byte little-endian encoding of `a`, as eight words.
fn fe_to_words(a: Fe) -> array<u32, 8> {
    return fe_canonical(a);
}
