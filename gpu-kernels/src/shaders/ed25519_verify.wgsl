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
// [j]B for j = 1..128 in affine Niels form, three field elements of FE_LIMBS words each
// (src/base_table.rs, converted to the representation's limbs by the host).
@group(0) @binding(6) var<storage, read> base_table: array<u32>;

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

fn base_table_fe(offset: u32) -> Fe {
    var r: Fe;
    for (var j = 0u; j < FE_LIMBS; j++) {
        r[j] = base_table[offset + j];
    }
    return r;
}

// [|digit|]B, negated when digit < 0, in affine Niels form.
fn base_multiple(digit: i32) -> Cached {
    if (digit == 0) {
        return cached_identity();
    }
    let offset = (u32(abs(digit)) - 1u) * 3u * FE_LIMBS;
    let q = Cached(
        base_table_fe(offset),
        base_table_fe(offset + FE_LIMBS),
        FE_ZERO,
        base_table_fe(offset + 2u * FE_LIMBS),
    );
    if (digit < 0) {
        return cached_neg(q);
    }
    return q;
}

// The verification's group operations, as one loop of steps: software compilers such as
// lavapipe's inline every call, so the shader keeps one doubling and one addition, reached
// from one loop whose schedule is the same for every invocation (no divergence on a GPU).
//
// [k](-A) + [s]B by Straus's method over 64 windows of 4 bits (k's signed radix-16 digits, in
// [-8, 8], against [1..8](-A) built in BUILD_STEPS additions), with s's signed radix-256
// digits (in [-128, 128], against the precomputed [1..128]B) added at every second window.
// Each window has WINDOW_STEPS slots: four doublings (none in the first window: its
// accumulator is the identity), the addition for k and, in even windows, the one for s. The
// last steps subtract R and multiply by 8.
const BUILD_STEPS: u32 = 7u;
const WINDOWS: u32 = 64u;
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

    // table[j] = [j + 1](-A).
    var table: array<Cached, 8>;
    var acc = ext_neg(points[0]);
    table[0] = to_cached(acc);
    let neg_r = to_cached(ext_neg(points[1]));
    for (var step = 0u; step < BUILD_STEPS + MAIN_STEPS + FINAL_STEPS; step++) {
        var is_double = false;
        var affine = false;
        var need_t = false;
        var operand = table[0];
        if (step < BUILD_STEPS) {
            need_t = true;
        } else if (step < BUILD_STEPS + MAIN_STEPS) {
            let m = step - BUILD_STEPS;
            let window = WINDOWS - 1u - m / WINDOW_STEPS;
            let slot = m % WINDOW_STEPS;
            let adds_s = window % 2u == 0u;
            if (slot < 4u) {
                if (window == WINDOWS - 1u) {
                    continue;
                }
                is_double = true;
                need_t = slot == 3u;
            } else if (slot == 4u) {
                let digit = scalar_signed_digit(k, window, 4u);
                operand = cached_identity();
                if (digit != 0) {
                    operand = table[u32(abs(digit)) - 1u];
                }
                if (digit < 0) {
                    operand = cached_neg(operand);
                }
                need_t = adds_s;
            } else {
                if (!adds_s) {
                    continue;
                }
                operand = base_multiple(scalar_signed_digit(s, window / 2u, 8u));
                affine = true;
                need_t = window == 0u;
            }
        } else if (step == BUILD_STEPS + MAIN_STEPS) {
            operand = neg_r;
        } else {
            is_double = true;
        }
        var completed: Completed;
        if (is_double) {
            completed = completed_double(acc);
        } else {
            completed = completed_add(acc, operand, affine);
        }
        acc = from_completed(completed, need_t);
        if (step < BUILD_STEPS) {
            table[step + 1u] = to_cached(acc);
            if (step == BUILD_STEPS - 1u) {
                acc = ext_identity();
            }
        }
    }
    return ext_is_identity(acc);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(workgroup_id) workgroup: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
) {
    let i = invocation_index(workgroup, groups, local);
    if (i >= params.count) {
        return;
    }
    verdicts[i] = select(0u, 1u, verify(i));
}
