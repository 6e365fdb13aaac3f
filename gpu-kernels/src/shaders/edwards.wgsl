// edwards25519 in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z, with the
// complete formulas of Hisil, Wong, Carter and Dawson (2008) for a = -1 in ref10's form: every
// input, small-order points and the identity included, is handled without special cases. An
// operation yields a "completed" point; turning it back into (X:Y:Z) takes three
// multiplications, and T a fourth, which only an addition needs (ref10's ge_p1p1_to_p2 and
// ge_p1p1_to_p3).

struct Ext {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

// A point prepared as the right operand of an addition: (Y+X, Y-X, 2Z, 2dT). An entry of the
// base point's table is affine (Z = 1) and leaves z2 unused: (y+x, y-x, -, 2dxy).
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

// A point (X:Y:Z:T) with x = X/Z and y = Y/T: what an addition or a doubling yields.
struct Completed {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

// The cached form's identity (and an affine entry's, z2 unused): adding it is a no-op.
fn cached_identity() -> Cached {
    return Cached(FE_ONE, FE_ONE, fe_add(FE_ONE, FE_ONE), FE_ZERO);
}

// -q, for q in cached or affine form.
fn cached_neg(q: Cached) -> Cached {
    return Cached(q.ymx, q.ypx, q.z2, fe_neg(q.t2d));
}

// dbl-2008-hwcd (ref10's ge_p2_dbl): four squarings, reading only X, Y and Z.
fn completed_double(p: Ext) -> Completed {
    let xx = fe_sq(p.x);
    let yy = fe_sq(p.y);
    let zz = fe_sq(p.z);
    let xy2 = fe_sq(fe_add(p.x, p.y));
    let yy_plus_xx = fe_add(yy, xx);
    let yy_minus_xx = fe_sub(yy, xx);
    return Completed(
        fe_sub(xy2, yy_plus_xx),
        yy_plus_xx,
        yy_minus_xx,
        fe_sub(fe_add(zz, zz), yy_minus_xx),
    );
}

// add-2008-hwcd-3 (ref10's ge_add, or ge_madd when `affine`: Z = 1 saves a multiplication).
fn completed_add(p: Ext, q: Cached, affine: bool) -> Completed {
    let pp = fe_mul(fe_add(p.y, p.x), q.ypx);
    let mm = fe_mul(fe_sub(p.y, p.x), q.ymx);
    let tt = fe_mul(q.t2d, p.t);
    var zz: Fe;
    if (affine) {
        zz = fe_add(p.z, p.z);
    } else {
        zz = fe_mul(p.z, q.z2);
    }
    return Completed(fe_sub(pp, mm), fe_add(pp, mm), fe_add(zz, tt), fe_sub(zz, tt));
}

// Back to (X:Y:Z), and T when `need_t` (an addition comes next; a doubling ignores T).
fn from_completed(r: Completed, need_t: bool) -> Ext {
    var t = FE_ZERO;
    if (need_t) {
        t = fe_mul(r.x, r.y);
    }
    return Ext(fe_mul(r.x, r.t), fe_mul(r.y, r.z), fe_mul(r.z, r.t), t);
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
