// Block motion energy of one luma frame against the previous one, exactly as
// chorus-sync's CPU path defines it (crates/chorus-sync/src/motion.rs):
//   1. `downscale`: small pixel (x, y) = sum of the f x f source pixels under
//      it (u32, no division), for x < W / f, y < H / f;
//   2. `blocks`: D = sum over a b x b block of |S_k - S_{k-1}| (u32), and
//      motion = D / (f^2 b^2) as f32, the only inexact step.
// The luma plane arrives as bytes packed four to a u32, rows `width` apart.

struct Params {
    width: u32,
    height: u32,
    factor: u32,
    block: u32,
    small_w: u32,
    small_h: u32,
    cols: u32,
    rows: u32,
    // Where this frame's blocks go in `motion`.
    out_offset: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> luma: array<u32>;
@group(0) @binding(2) var<storage, read_write> small_cur: array<u32>;

fn luma_at(i: u32) -> u32 {
    return (luma[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

@compute @workgroup_size(8, 8)
fn downscale(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.small_w || id.y >= params.small_h) {
        return;
    }
    var sum = 0u;
    for (var j = 0u; j < params.factor; j = j + 1u) {
        let row = (id.y * params.factor + j) * params.width + id.x * params.factor;
        for (var i = 0u; i < params.factor; i = i + 1u) {
            sum = sum + luma_at(row + i);
        }
    }
    small_cur[id.y * params.small_w + id.x] = sum;
}

@group(0) @binding(3) var<storage, read> small_prev: array<u32>;
@group(0) @binding(4) var<storage, read_write> motion: array<f32>;

@compute @workgroup_size(8, 8)
fn blocks(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.cols || id.y >= params.rows) {
        return;
    }
    var d = 0u;
    for (var j = 0u; j < params.block; j = j + 1u) {
        for (var i = 0u; i < params.block; i = i + 1u) {
            let k = (id.y * params.block + j) * params.small_w + id.x * params.block + i;
            let a = small_cur[k];
            let b = small_prev[k];
            d = d + select(b - a, a - b, a > b);
        }
    }
    let pixels = f32(params.factor * params.factor * params.block * params.block);
    motion[params.out_offset + id.y * params.cols + id.x] = f32(d) / pixels;
}
