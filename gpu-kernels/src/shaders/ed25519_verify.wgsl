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
    var state = SHA512_IV;
    for (var b = 0u; b < blocks; b++) {
        var block: Sha512Block;
        for (var w = 0u; w < 16u; w++) {
            var word = vec2<u32>(0u, 0u);
            let base = b * 128u + w * 8u;
            for (var k = 0u; k < 4u; k++) {
                word.y = (word.y << 8u) | hash_input_byte(i, message, base + k, total, padded);
            }
            for (var k = 4u; k < 8u; k++) {
                word.x = (word.x << 8u) | hash_input_byte(i, message, base + k, total, padded);
            }
            block[w] = word;
        }
        state = sha512_compress(state, block);
    }
    return scalar_from_digest(state);
}

// Steps of the verification's one group-operation loop: software compilers such as lavapipe
// inline every call, so the shader keeps a single point addition, reached from one loop.
const BUILD_STEPS: u32 = 14u;
const WINDOW_STEPS: u32 = 6u;
const MAIN_STEPS: u32 = 384u;
const FINAL_STEPS: u32 = 4u;

fn verify(i: u32) -> bool {
    var s: Scalar;
    for (var j = 0u; j < 8u; j++) {
        s[j] = signatures[i * 16u + 8u + j];
    }
    if (!scalar_lt(s, ELL)) {
        return false;
    }
    // Decompress A (p = 0) and R (p = 1).
    var points: array<Ext, 2>;
    for (var p = 0u; p < 2u; p++) {
        var w: array<u32, 8>;
        for (var j = 0u; j < 8u; j++) {
            w[j] = select(keys[i * 8u + j], signatures[i * 16u + j], p == 1u);
        }
        let decompressed = ext_decompress(w);
        if (!decompressed.ok) {
            return false;
        }
        points[p] = decompressed.point;
    }
    let k = challenge(i);

    // R' = [k](-A) + [s]B by Straus's method with 4-bit windows: the table [0..15](-A) is
    // built in the first 14 steps, the base point's table is precomputed on the host. Each
    // window takes four doublings (additions of a point to itself: the formulas are complete)
    // and up to two table additions. The last steps form R - R' and multiply it by 8.
    var table: array<Cached, 16>;
    let neg_a = ext_neg(points[0]);
    table[0] = Cached(FE_ONE, FE_ONE, fe_add(FE_ONE, FE_ONE), FE_ZERO);
    table[1] = to_cached(neg_a);
    var multiple = neg_a;
    var q = ext_identity();
    for (var step = 0u; step < BUILD_STEPS + MAIN_STEPS + FINAL_STEPS; step++) {
        var acc = q;
        var operand: Cached;
        var cache_from = q;
        var needs_cache = false;
        var skip = false;
        if (step < BUILD_STEPS) {
            acc = multiple;
            operand = table[1];
        } else if (step < BUILD_STEPS + MAIN_STEPS) {
            let m = step - BUILD_STEPS;
            let window = 63u - m / WINDOW_STEPS;
            let phase = m % WINDOW_STEPS;
            if (phase < 4u) {
                needs_cache = true;
            } else if (phase == 4u) {
                let digit = scalar_nibble(k, window);
                skip = digit == 0u;
                operand = table[digit];
            } else {
                let digit = scalar_nibble(s, window);
                skip = digit == 0u;
                operand = BASE_TABLE[digit];
            }
        } else {
            needs_cache = true;
            if (step == BUILD_STEPS + MAIN_STEPS) {
                acc = points[1];
                cache_from = ext_neg(q);
            }
        }
        if (needs_cache) {
            operand = to_cached(cache_from);
        }
        if (!skip) {
            acc = ext_add(acc, operand);
        }
        if (step < BUILD_STEPS) {
            multiple = acc;
            table[step + 2u] = to_cached(acc);
        } else {
            q = acc;
        }
    }
    return ext_is_identity(q);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * 64u;
    if (i >= params.count) {
        return;
    }
    verdicts[i] = select(0u, 1u, verify(i));
}
