// SHA-512 (FIPS 180-4): the compression function is generated (sha512_compress.wgsl); this
// file reads the digest.

// Byte j (0..63) of the digest in `state`.
fn sha512_digest_byte(state: Sha512State, j: u32) -> u32 {
    let word = state[j / 8u];
    let k = j % 8u;
    let half = select(word.x, word.y, k < 4u);
    return (half >> (8u * (3u - (k % 4u)))) & 0xffu;
}
