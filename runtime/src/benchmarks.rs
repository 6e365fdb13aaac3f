//! The pallets whose frame-benchmarking v2 benchmarks the node runs on this runtime
//! (`carechain benchmark pallet`), to measure the weights in each pallet's `weights.rs`.

frame_benchmarking::define_benchmarks!(
	[pallet_registry, Registry]
	[pallet_records, Records]
	[pallet_consent, Consent]
	[pallet_claims, Claims]
	[pallet_provenance, Provenance]
	[pallet_trials, Trials]
	[pallet_research, Research]
	[pallet_telehealth, Telehealth]
	[pallet_wellness, Wellness]
);
