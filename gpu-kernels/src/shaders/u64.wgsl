// 64-bit words as vec2<u32>(low, high): core WGSL has no 64-bit integers.

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    let carry = select(0u, 1u, lo < a.x);
    return vec2<u32>(lo, a.y + b.y + carry);
}

// Rotate right by n, 0 < n < 32.
fn rotr64_lt32(a: vec2<u32>, n: u32) -> vec2<u32> {
    return vec2<u32>((a.x >> n) | (a.y << (32u - n)), (a.y >> n) | (a.x << (32u - n)));
}

// Rotate right by n, 32 < n < 64.
fn rotr64_gt32(a: vec2<u32>, n: u32) -> vec2<u32> {
    return rotr64_lt32(vec2<u32>(a.y, a.x), n - 32u);
}

fn rotr64_32(a: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.y, a.x);
}

fn shr64(a: vec2<u32>, n: u32) -> vec2<u32> {
    if (n >= 32u) {
        return vec2<u32>(a.y >> (n - 32u), 0u);
    }
    return vec2<u32>((a.x >> n) | (a.y << (32u - n)), a.y >> n);
}
