// edwards25519 in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z, with the
// complete addition of Hisil, Wong, Carter and Dawson (2008) for a = -1: every input, small-order
// points and a point added to itself included, is handled without special cases, so doubling
// is addition too and the shader needs one addition site.

struct Ext {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

// A point prepared as the right operand of an addition: (Y+X, Y-X, 2Z, 2dT).
struct Cached {
    ypx: Fe,
    ymx: Fe,
    z2: Fe,
    t2d: Fe,
}

fn ext_identity() -> Ext {
    return Ext(FE_ZERO, FE_ONE, FE_ONE, FE_ZERO);
}

fn ext_neg(p: Ext) -> Ext {
    return Ext(fe_neg(p.x), p.y, p.z, fe_neg(p.t));
}

fn to_cached(p: Ext) -> Cached {
    return Cached(fe_add(p.y, p.x), fe_sub(p.y, p.x), fe_add(p.z, p.z), fe_mul(p.t, FE_D2));
}

// add-2008-hwcd-3
fn ext_add(p: Ext, q: Cached) -> Ext {
    let a = fe_mul(fe_sub(p.y, p.x), q.ymx);
    let b = fe_mul(fe_add(p.y, p.x), q.ypx);
    let c = fe_mul(p.t, q.t2d);
    let d = fe_mul(p.z, q.z2);
    let e = fe_sub(b, a);
    let f = fe_sub(d, c);
    let g = fe_add(d, c);
    let h = fe_add(b, a);
    return Ext(fe_mul(e, f), fe_mul(g, h), fe_mul(f, g), fe_mul(e, h));
}

fn ext_is_identity(p: Ext) -> bool {
    return fe_is_zero(p.x) && fe_eq(p.y, p.z);
}

struct Decompressed {
    ok: bool,
    point: Ext,
}

// curve25519-dalek's CompressedEdwardsY::decompress, which ed25519-zebra uses: y may be
// non-canonical (p <= y < 2^255), and x = 0 with the sign bit set is accepted.
fn ext_decompress(w: array<u32, 8>) -> Decompressed {
    let y = fe_from_words(w);
    let yy = fe_sq(y);
    let u = fe_sub(yy, FE_ONE);
    let v = fe_add(fe_mul(yy, FE_D), FE_ONE);
    let root = fe_sqrt_ratio_i(u, v);
    var x = root.root;
    if ((w[7] >> 31u) == 1u) {
        x = fe_neg(x);
    }
    return Decompressed(root.was_square, Ext(x, y, FE_ONE, fe_mul(x, y)));
}
