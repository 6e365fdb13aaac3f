// Entry points that run one building block of the ed25519 kernel each, so that tests can
// check the blocks one by one against the CPU. Bindings: `input`, `output`, `params`.

struct ProbeParams {
    count: u32,
}

@group(0) @binding(0) var<storage, read> probe_input: array<u32>;
@group(0) @binding(1) var<storage, read_write> probe_output: array<u32>;
@group(0) @binding(2) var<uniform> probe_params: ProbeParams;

fn probe_words(offset: u32) -> array<u32, 8> {
    var w: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) {
        w[j] = probe_input[offset + j];
    }
    return w;
}

fn probe_store(offset: u32, w: array<u32, 8>) {
    for (var j = 0u; j < 8u; j++) {
        probe_output[offset + j] = w[j];
    }
}

// Per pair (a, b) of 32-byte encodings: a*b, a^2, a+b, a-b, a^((p-5)/8), and on the
// unreduced results of a multiplication and a squaring: ab + b^2, ab - b^2, ab * b^2, -ab.
@compute @workgroup_size(WORKGROUP_SIZE)
fn probe_field(
    @builtin(workgroup_id) workgroup: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
) {
    let i = invocation_index(workgroup, groups, local);
    if (i >= probe_params.count) {
        return;
    }
    let a = fe_from_words(probe_words(i * 16u));
    let b = fe_from_words(probe_words(i * 16u + 8u));
    let ab = fe_mul(a, b);
    let bb = fe_sq(b);
    let out = i * 72u;
    probe_store(out, fe_to_words(ab));
    probe_store(out + 8u, fe_to_words(fe_sq(a)));
    probe_store(out + 16u, fe_to_words(fe_add(a, b)));
    probe_store(out + 24u, fe_to_words(fe_sub(a, b)));
    probe_store(out + 32u, fe_to_words(fe_pow22523(a)));
    probe_store(out + 40u, fe_to_words(fe_add(ab, bb)));
    probe_store(out + 48u, fe_to_words(fe_sub(ab, bb)));
    probe_store(out + 56u, fe_to_words(fe_mul(ab, bb)));
    probe_store(out + 64u, fe_to_words(fe_neg(ab)));
}

// Per encoding: a flag (1 when it decompresses), then the canonical re-encoding.
@compute @workgroup_size(WORKGROUP_SIZE)
fn probe_decompress(
    @builtin(workgroup_id) workgroup: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
) {
    let i = invocation_index(workgroup, groups, local);
    if (i >= probe_params.count) {
        return;
    }
    let d = ext_decompress(probe_words(i * 8u));
    var w = fe_to_words(d.point.y);
    w[7] = w[7] | (select(0u, 1u, fe_is_negative(d.point.x)) << 31u);
    probe_output[i * 9u] = select(0u, 1u, d.ok);
    probe_store(i * 9u + 1u, w);
}

// Per invocation: its own index plus input word 0 (given as 0; read so that the entry point
// binds the probes' three buffers), so that a test can check that a dispatch covers every item
// of a batch exactly once, past the 65,535 workgroups of one row included.
@compute @workgroup_size(WORKGROUP_SIZE)
fn probe_dispatch(
    @builtin(workgroup_id) workgroup: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
) {
    let i = invocation_index(workgroup, groups, local);
    if (i >= probe_params.count) {
        return;
    }
    probe_output[i] = i + probe_input[0];
}
