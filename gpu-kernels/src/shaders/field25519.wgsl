// Arithmetic in GF(2^255 - 19) that every representation shares. A representation
// (field25519_l13.wgsl, field25519_l16.wgsl, field25519_w32.wgsl, each with its generated
// _ops file and constants) provides the type Fe, FE_LIMBS, fe_add, fe_sub, fe_mul, fe_sq,
// fe_canonical (the representative below p, in limbs of the representation's width),
// fe_from_words and fe_to_words.

fn fe_neg(a: Fe) -> Fe {
    return fe_sub(FE_ZERO, a);
}

fn fe_eq(a: Fe, b: Fe) -> bool {
    let x = fe_canonical(a);
    let y = fe_canonical(b);
    var same = true;
    for (var i = 0u; i < FE_LIMBS; i++) {
        same = same && x[i] == y[i];
    }
    return same;
}

fn fe_is_zero(a: Fe) -> bool {
    return fe_eq(a, FE_ZERO);
}

// Whether the canonical encoding is odd ("negative" in RFC 8032 terms).
fn fe_is_negative(a: Fe) -> bool {
    return (fe_canonical(a)[0] & 1u) == 1u;
}

// The addition chain of ref10 for z^((p-5)/8) = z^(2^252 - 3), as steps
// regs[dst] = regs[src]^(2^squarings) * regs[factor], over registers z, t0, t1. A table and one
// loop keep a single squaring and a single multiplication in the shader: software compilers
// such as lavapipe's inline every call, so each call site costs compile time.
const POW_Z: u32 = 0u;
const POW_T0: u32 = 1u;
const POW_T1: u32 = 2u;
const POW_NONE: u32 = 3u;
const POW22523_STEPS = array<vec4<u32>, 12>(
    // (dst, src, squarings, factor)
    vec4<u32>(POW_T0, POW_Z, 1u, POW_NONE),
    vec4<u32>(POW_T1, POW_T0, 2u, POW_Z),
    vec4<u32>(POW_T0, POW_T0, 0u, POW_T1),
    vec4<u32>(POW_T0, POW_T0, 1u, POW_T1),
    vec4<u32>(POW_T0, POW_T0, 5u, POW_T0),
    vec4<u32>(POW_T1, POW_T0, 10u, POW_T0),
    vec4<u32>(POW_T1, POW_T1, 20u, POW_T1),
    vec4<u32>(POW_T0, POW_T1, 10u, POW_T0),
    vec4<u32>(POW_T1, POW_T0, 50u, POW_T0),
    vec4<u32>(POW_T1, POW_T1, 100u, POW_T1),
    vec4<u32>(POW_T0, POW_T1, 50u, POW_T0),
    vec4<u32>(POW_T0, POW_T0, 2u, POW_Z),
);

fn fe_pow22523(z: Fe) -> Fe {
    var regs: array<Fe, 4>;
    regs[POW_Z] = z;
    regs[POW_NONE] = FE_ONE;
    for (var step = 0u; step < 12u; step++) {
        let s = POW22523_STEPS[step];
        var acc = regs[s.y];
        for (var k = 0u; k < s.z; k++) {
            acc = fe_sq(acc);
        }
        regs[s.x] = fe_mul(acc, regs[s.w]);
    }
    return regs[POW_T0];
}

struct SqrtRatio {
    was_square: bool,
    root: Fe,
}

// curve25519-dalek's FieldElement::sqrt_ratio_i: the non-negative sqrt(u/v) when u/v is a
// square (u = 0 included), else sqrt(i*u/v), with a flag saying which.
fn fe_sqrt_ratio_i(u: Fe, v: Fe) -> SqrtRatio {
    let v3 = fe_mul(fe_sq(v), v);
    let v7 = fe_mul(fe_sq(v3), v);
    var r = fe_mul(fe_mul(u, v3), fe_pow22523(fe_mul(u, v7)));
    let check = fe_mul(v, fe_sq(r));
    let neg_u = fe_neg(u);
    let correct_sign = fe_eq(check, u);
    let flipped_sign = fe_eq(check, neg_u);
    let flipped_sign_i = fe_eq(check, fe_mul(neg_u, FE_SQRT_M1));
    if (flipped_sign || flipped_sign_i) {
        r = fe_mul(r, FE_SQRT_M1);
    }
    if (fe_is_negative(r)) {
        r = fe_neg(r);
    }
    return SqrtRatio(correct_sign || flipped_sign, r);
}

