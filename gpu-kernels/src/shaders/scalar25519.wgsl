// Scalars modulo the group order l = 2^252 + 27742317777372353535851937790883648493, as eight
// little-endian 32-bit words.

alias Scalar = array<u32, 8>;

// a < b
fn scalar_lt(a: Scalar, b: Scalar) -> bool {
    for (var i = 7i; i >= 0i; i--) {
        if (a[i] != b[i]) {
            return a[i] < b[i];
        }
    }
    return false;
}

// a - b, for a >= b.
fn scalar_sub(a: Scalar, b: Scalar) -> Scalar {
    var r: Scalar;
    var borrow = 0u;
    for (var i = 0u; i < 8u; i++) {
        let d = a[i] - b[i];
        let d2 = d - borrow;
        borrow = select(0u, 1u, a[i] < b[i] || d < borrow);
        r[i] = d2;
    }
    return r;
}

// A SHA-512 digest read as a 512-bit little-endian integer (as curve25519-dalek's
// Scalar::from_hash does), reduced modulo l by binary long division.
fn scalar_from_digest(digest: Sha512State) -> Scalar {
    var r: Scalar;
    for (var bit = 511i; bit >= 0i; bit--) {
        // r = 2r + bit; r < l < 2^253 before, so 2r + 1 < 2^254 fits.
        for (var i = 7u; i > 0u; i--) {
            r[i] = (r[i] << 1u) | (r[i - 1u] >> 31u);
        }
        let b = u32(bit);
        r[0] = (r[0] << 1u) | ((sha512_digest_byte(digest, b / 8u) >> (b % 8u)) & 1u);
        if (!scalar_lt(r, ELL)) {
            r = scalar_sub(r, ELL);
        }
    }
    return r;
}

// Digit `window` of the signed radix-2^bits form of `s` (bits divides 32, s < 2^255), in
// [-2^(bits-1), 2^(bits-1)]: the window's bits, plus the bit below the window, minus 2^bits
// times the window's top bit (Booth's recoding). Summed with their weights the digits telescope
// back to s, and each is computed alone, without a carry chain or an array of digits.
fn scalar_signed_digit(s: Scalar, window: u32, bits: u32) -> i32 {
    let start = window * bits;
    let raw = (s[start / 32u] >> (start % 32u)) & ((1u << bits) - 1u);
    var below = 0u;
    if (start > 0u) {
        below = (s[(start - 1u) / 32u] >> ((start - 1u) % 32u)) & 1u;
    }
    return i32(raw + below) - i32((raw >> (bits - 1u)) << bits);
}
