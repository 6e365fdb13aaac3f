// Invocations per workgroup: a pipeline-overridable constant the host sets from its own
// WORKGROUP_SIZE (src/gpu.rs), so that the size is written in one place.
override WORKGROUP_SIZE: u32;

// The invocation's index in a dispatch of (x, y, 1) workgroups numbered row by row: a batch
// past 65,535 workgroups (4,194,240 invocations of 64) spans several rows.
fn invocation_index(workgroup: vec3<u32>, groups: vec3<u32>, local: vec3<u32>) -> u32 {
    return (workgroup.y * groups.x + workgroup.x) * WORKGROUP_SIZE + local.x;
}
