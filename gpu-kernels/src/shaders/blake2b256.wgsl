// Batch blake2b-256: one invocation hashes one message, `blocks_per_pass` blocks per dispatch.
//
// Long blobs take several dispatches, the chaining state kept in `state` between them: a
// dispatch stays short, and no loop runs more than 65535 times, which Mesa's llvmpipe
// (lavapipe) enforces as a hang guard. Messages lie in `data` at word offsets that the host
// aligned to 128-byte blocks, each zero-padded to a whole block, so every block is read whole
// and bytes past the end are zero.

struct Message {
    // Offset of the first block, in 32-bit words.
    offset: u32,
    // Length in bytes.
    len: u32,
}

struct Params {
    count: u32,
    // 1 when `expected` holds digests to compare with; then `out` gets one flag per message.
    verify: u32,
    // The first block this dispatch compresses.
    first_block: u32,
    blocks_per_pass: u32,
}

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> messages: array<Message>;
@group(0) @binding(2) var<storage, read> expected: array<u32>;
@group(0) @binding(3) var<storage, read_write> state: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

fn load_block(word: u32) -> Blake2bBlock {
    var m: Blake2bBlock;
    for (var i = 0u; i < 16u; i++) {
        m[i] = vec2<u32>(data[word + 2u * i], data[word + 2u * i + 1u]);
    }
    return m;
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
    let message = messages[i];
    let blocks = max(1u, (message.len + 127u) / 128u);
    if (params.first_block >= blocks) {
        return;
    }
    var h = blake2b_init(32u);
    if (params.first_block != 0u) {
        for (var w = 0u; w < 8u; w++) {
            h[w] = vec2<u32>(state[i * 16u + 2u * w], state[i * 16u + 2u * w + 1u]);
        }
    }
    let end = min(blocks, params.first_block + params.blocks_per_pass);
    for (var b = params.first_block; b < end; b++) {
        let last = b + 1u == blocks;
        h = blake2b_compress(
            h,
            load_block(message.offset + b * 32u),
            select((b + 1u) * 128u, message.len, last),
            last,
        );
    }
    if (end < blocks) {
        for (var w = 0u; w < 8u; w++) {
            state[i * 16u + 2u * w] = h[w].x;
            state[i * 16u + 2u * w + 1u] = h[w].y;
        }
        return;
    }
    if (params.verify == 1u) {
        var same = true;
        for (var w = 0u; w < 4u; w++) {
            same = same && h[w].x == expected[i * 8u + 2u * w]
                && h[w].y == expected[i * 8u + 2u * w + 1u];
        }
        out[i] = select(1u, 0u, same);
    } else {
        for (var w = 0u; w < 4u; w++) {
            out[i * 8u + 2u * w] = h[w].x;
            out[i * 8u + 2u * w + 1u] = h[w].y;
        }
    }
}
