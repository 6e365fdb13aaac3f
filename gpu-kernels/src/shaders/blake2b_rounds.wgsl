// BLAKE2b compression (RFC 7693) over 64-bit words held as vec2<u32>.

const BLAKE2B_IV = array<vec2<u32>, 8>(
    vec2<u32>(0xf3bcc908u, 0x6a09e667u), vec2<u32>(0x84caa73bu, 0xbb67ae85u),
    vec2<u32>(0xfe94f82bu, 0x3c6ef372u), vec2<u32>(0x5f1d36f1u, 0xa54ff53au),
    vec2<u32>(0xade682d1u, 0x510e527fu), vec2<u32>(0x2b3e6c1fu, 0x9b05688cu),
    vec2<u32>(0xfb41bd6bu, 0x1f83d9abu), vec2<u32>(0x137e2179u, 0x5be0cd19u),
);

const BLAKE2B_SIGMA = array<u32, 192>(
    0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u,
    14u, 10u, 4u, 8u, 9u, 15u, 13u, 6u, 1u, 12u, 0u, 2u, 11u, 7u, 5u, 3u,
    11u, 8u, 12u, 0u, 5u, 2u, 15u, 13u, 10u, 14u, 3u, 6u, 7u, 1u, 9u, 4u,
    7u, 9u, 3u, 1u, 13u, 12u, 11u, 14u, 2u, 6u, 5u, 10u, 4u, 0u, 15u, 8u,
    9u, 0u, 5u, 7u, 2u, 4u, 10u, 15u, 14u, 1u, 11u, 12u, 6u, 8u, 3u, 13u,
    2u, 12u, 6u, 10u, 0u, 11u, 8u, 3u, 4u, 13u, 7u, 5u, 15u, 14u, 1u, 9u,
    12u, 5u, 1u, 15u, 14u, 13u, 4u, 10u, 0u, 7u, 6u, 3u, 9u, 2u, 8u, 11u,
    13u, 11u, 7u, 14u, 12u, 1u, 3u, 9u, 5u, 0u, 15u, 4u, 8u, 6u, 2u, 10u,
    6u, 15u, 14u, 9u, 11u, 3u, 0u, 8u, 12u, 2u, 13u, 7u, 1u, 4u, 10u, 5u,
    10u, 2u, 8u, 4u, 7u, 6u, 1u, 5u, 15u, 11u, 9u, 14u, 3u, 12u, 13u, 0u,
    0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u,
    14u, 10u, 4u, 8u, 9u, 15u, 13u, 6u, 1u, 12u, 0u, 2u, 11u, 7u, 5u, 3u,
);

var<private> blake2b_v: array<vec2<u32>, 16>;
var<private> blake2b_m: array<vec2<u32>, 16>;
var<private> blake2b_h: array<vec2<u32>, 8>;

fn blake2b_g(a: u32, b: u32, c: u32, d: u32, x: vec2<u32>, y: vec2<u32>) {
    blake2b_v[a] = add64(add64(blake2b_v[a], blake2b_v[b]), x);
    blake2b_v[d] = rotr64_32(blake2b_v[d] ^ blake2b_v[a]);
    blake2b_v[c] = add64(blake2b_v[c], blake2b_v[d]);
    blake2b_v[b] = rotr64_lt32(blake2b_v[b] ^ blake2b_v[c], 24u);
    blake2b_v[a] = add64(add64(blake2b_v[a], blake2b_v[b]), y);
    blake2b_v[d] = rotr64_lt32(blake2b_v[d] ^ blake2b_v[a], 16u);
    blake2b_v[c] = add64(blake2b_v[c], blake2b_v[d]);
    blake2b_v[b] = rotr64_gt32(blake2b_v[b] ^ blake2b_v[c], 63u);
}

// Compresses the block in `blake2b_m` into `blake2b_h`; `counter` is the byte count so far
// (below 2^32 here), `last` marks the final block.
fn blake2b_compress(counter: u32, last: bool) {
    for (var i = 0u; i < 8u; i++) {
        blake2b_v[i] = blake2b_h[i];
        blake2b_v[i + 8u] = BLAKE2B_IV[i];
    }
    blake2b_v[12] = blake2b_v[12] ^ vec2<u32>(counter, 0u);
    if (last) {
        blake2b_v[14] = blake2b_v[14] ^ vec2<u32>(0xffffffffu, 0xffffffffu);
    }
    for (var r = 0u; r < 12u; r++) {
        let s = r * 16u;
        blake2b_g(0u, 4u, 8u, 12u, blake2b_m[BLAKE2B_SIGMA[s + 0u]], blake2b_m[BLAKE2B_SIGMA[s + 1u]]);
        blake2b_g(1u, 5u, 9u, 13u, blake2b_m[BLAKE2B_SIGMA[s + 2u]], blake2b_m[BLAKE2B_SIGMA[s + 3u]]);
        blake2b_g(2u, 6u, 10u, 14u, blake2b_m[BLAKE2B_SIGMA[s + 4u]], blake2b_m[BLAKE2B_SIGMA[s + 5u]]);
        blake2b_g(3u, 7u, 11u, 15u, blake2b_m[BLAKE2B_SIGMA[s + 6u]], blake2b_m[BLAKE2B_SIGMA[s + 7u]]);
        blake2b_g(0u, 5u, 10u, 15u, blake2b_m[BLAKE2B_SIGMA[s + 8u]], blake2b_m[BLAKE2B_SIGMA[s + 9u]]);
        blake2b_g(1u, 6u, 11u, 12u, blake2b_m[BLAKE2B_SIGMA[s + 10u]], blake2b_m[BLAKE2B_SIGMA[s + 11u]]);
        blake2b_g(2u, 7u, 8u, 13u, blake2b_m[BLAKE2B_SIGMA[s + 12u]], blake2b_m[BLAKE2B_SIGMA[s + 13u]]);
        blake2b_g(3u, 4u, 9u, 14u, blake2b_m[BLAKE2B_SIGMA[s + 14u]], blake2b_m[BLAKE2B_SIGMA[s + 15u]]);
    }
    for (var i = 0u; i < 8u; i++) {
        blake2b_h[i] = blake2b_h[i] ^ blake2b_v[i] ^ blake2b_v[i + 8u];
    }
}

// Starts an unkeyed BLAKE2b with a digest of `out_len` bytes.
fn blake2b_init(out_len: u32) {
    for (var i = 0u; i < 8u; i++) {
        blake2b_h[i] = BLAKE2B_IV[i];
    }
    blake2b_h[0] = blake2b_h[0] ^ vec2<u32>(0x01010000u ^ out_len, 0u);
}
