// Batch ed25519 verification with exactly the verdicts of sp_core::ed25519::Pair::verify
// (ed25519-zebra, ZIP-215): S must be canonical; A and R may be non-canonical encodings and
// small-order points; accept iff [8]([S]B - [k]A - R) is the identity, k = SHA-512(R||A||M)
// mod l. One invocation verifies one (message, public key, signature) triple.

struct Message {
    // Offset of the message in `data`, in 32-bit words.
    offset: u32,
    // Length in bytes.
    len: u32,
}

struct Params {
    count: u32,
}

@group(0) @binding(0) var<storage, read> keys: array<u32>;
@group(0) @binding(1) var<storage, read> signatures: array<u32>;
@group(0) @binding(2) var<storage, read> messages: array<Message>;
@group(0) @binding(3) var<storage, read> data: array<u32>;
@group(0) @binding(4) var<storage, read_write> verdicts: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

fn word_byte(w: u32, j: u32) -> u32 {
    return (w >> (8u * (j % 4u))) & 0xffu;
}

// Byte `pos` of the padded SHA-512 input R || A || M || 0x80 || 0... || bit length.
fn hash_input_byte(i: u32, message: Message, pos: u32, total: u32, padded: u32) -> u32 {
    if (pos < 32u) {
        return word_byte(signatures[i * 16u + pos / 4u], pos);
    }
    if (pos < 64u) {
        let j = pos - 32u;
        return word_byte(keys[i * 8u + j / 4u], j);
    }
    if (pos < total) {
        let j = pos - 64u;
        return word_byte(data[message.offset + j / 4u], j);
    }
    if (pos == total) {
        return 0x80u;
    }
    if (pos >= padded - 8u) {
        // The low 64 bits of the 128-bit big-endian bit length; the input is below 2^29 bytes.
        let q = pos - (padded - 8u);
        let bits = vec2<u32>(total << 3u, total >> 29u);
        let half = select(bits.x, bits.y, q < 4u);
        return (half >> (8u * (3u - (q % 4u)))) & 0xffu;
    }
    return 0u;
}

fn challenge(i: u32) -> Scalar {
    let message = messages[i];
    let total = 64u + message.len;
    let blocks = (total + 17u + 127u) / 128u;
    let padded = blocks * 128u;
    sha512_init();
    for (var b = 0u; b < blocks; b++) {
        for (var w = 0u; w < 16u; w++) {
            var word = vec2<u32>(0u, 0u);
            let base = b * 128u + w * 8u;
            for (var k = 0u; k < 4u; k++) {
                word.y = (word.y << 8u) | hash_input_byte(i, message, base + k, total, padded);
            }
            for (var k = 4u; k < 8u; k++) {
                word.x = (word.x << 8u) | hash_input_byte(i, message, base + k, total, padded);
            }
            sha512_w[w] = word;
        }
        sha512_compress();
    }
    return scalar_from_digest();
}

// [s]B + [k]P by Straus's method with 4-bit windows: a table of [0..15]P built here, the
// base point's table precomputed on the host (BASE_TABLE).
fn double_scalar_mul_base(k: Scalar, p: Ext, s: Scalar) -> Ext {
    var table: array<Cached, 16>;
    table[0] = Cached(FE_ONE, FE_ONE, fe_add(FE_ONE, FE_ONE), FE_ZERO);
    table[1] = to_cached(p);
    var multiple = p;
    for (var j = 2u; j < 16u; j++) {
        multiple = ext_add(multiple, table[1]);
        table[j] = to_cached(multiple);
    }
    var q = ext_identity();
    for (var w = 64u; w > 0u; w--) {
        q = ext_double(ext_double(ext_double(ext_double(q))));
        let kd = scalar_nibble(k, w - 1u);
        if (kd != 0u) {
            q = ext_add(q, table[kd]);
        }
        let sd = scalar_nibble(s, w - 1u);
        if (sd != 0u) {
            q = ext_add(q, BASE_TABLE[sd]);
        }
    }
    return q;
}

fn verify(i: u32) -> bool {
    var s: Scalar;
    var r_words: array<u32, 8>;
    var a_words: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) {
        r_words[j] = signatures[i * 16u + j];
        s[j] = signatures[i * 16u + 8u + j];
        a_words[j] = keys[i * 8u + j];
    }
    if (!scalar_lt(s, ELL)) {
        return false;
    }
    let a = ext_decompress(a_words);
    if (!a.ok) {
        return false;
    }
    let r = ext_decompress(r_words);
    if (!r.ok) {
        return false;
    }
    let k = challenge(i);
    let r_prime = double_scalar_mul_base(k, ext_neg(a.point), s);
    let difference = ext_add(r.point, to_cached(ext_neg(r_prime)));
    return ext_is_identity(ext_double(ext_double(ext_double(difference))));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * 64u;
    if (i >= params.count) {
        return;
    }
    verdicts[i] = select(0u, 1u, verify(i));
}
