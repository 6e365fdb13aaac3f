mod common;
use carechain_gpu::{cpu, Ed25519Item};
use sp_core::{ed25519, Pair};
#[test]
fn debug_ed25519() {
	let v = common::gpu_verifier();
	let pairs: Vec<ed25519::Pair> = (0..4u8).map(|i| ed25519::Pair::from_seed(&[i + 1; 32])).collect();
	let msgs: Vec<Vec<u8>> = (0..4usize).map(|i| vec![i as u8; i * 50]).collect();
	let sigs: Vec<[u8; 64]> = pairs.iter().zip(&msgs).map(|(p, m)| p.sign(m).0).collect();
	let pubs: Vec<[u8; 32]> = pairs.iter().map(|p| p.public().0).collect();
	let mut items: Vec<Ed25519Item> = (0..4).map(|i| Ed25519Item { message: &msgs[i], public: &pubs[i], signature: &sigs[i] }).collect();
	let bad = { let mut s = sigs[0]; s[3] ^= 1; s };
	items.push(Ed25519Item { message: &msgs[0], public: &pubs[0], signature: &bad });
	let t = std::time::Instant::now();
	let (d, _) = v.verify_ed25519(&items).unwrap();
	eprintln!("gpu {:?} in {:?}", d, t.elapsed());
	eprintln!("cpu {:?}", cpu::verify_ed25519(&items));
}
