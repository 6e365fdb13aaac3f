//! The transaction signature: `MultiSignature` on the wire and in the metadata, with its ed25519
//! and sr25519 checks answered from the verdicts the node computed ahead, when it registered
//! them.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{Lazy, Verify},
	AccountId32, MultiSignature, MultiSigner,
};

/// A `MultiSignature` whose ed25519 and sr25519 checks consult
/// [`carechain_primitives::signatures::PreVerifiedExt`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen)]
pub struct Signature(pub MultiSignature);

impl TypeInfo for Signature {
	// Wallets recognise `sp_runtime::MultiSignature` by its path; the wrapper is invisible.
	type Identity = MultiSignature;

	fn type_info() -> scale_info::Type {
		MultiSignature::type_info()
	}
}

impl From<MultiSignature> for Signature {
	fn from(signature: MultiSignature) -> Self {
		Signature(signature)
	}
}

impl From<sp_core::ed25519::Signature> for Signature {
	fn from(signature: sp_core::ed25519::Signature) -> Self {
		Signature(signature.into())
	}
}

impl From<sp_core::sr25519::Signature> for Signature {
	fn from(signature: sp_core::sr25519::Signature) -> Self {
		Signature(signature.into())
	}
}

impl Verify for Signature {
	type Signer = MultiSigner;

	fn verify<L: Lazy<[u8]>>(&self, mut message: L, signer: &AccountId32) -> bool {
		#[cfg(feature = "std")]
		{
			use carechain_primitives::signatures::Scheme;
			let known = match &self.0 {
				MultiSignature::Ed25519(signature) => Some((Scheme::Ed25519, &signature.0)),
				MultiSignature::Sr25519(signature) => Some((Scheme::Sr25519, &signature.0)),
				_ => None,
			};
			if let Some((scheme, signature)) = known {
				if let Some(valid) = pre_verified(
					scheme,
					AsRef::<[u8; 32]>::as_ref(signer),
					signature,
					message.get(),
				) {
					return valid;
				}
			}
		}
		self.0.verify(message, signer)
	}
}

#[cfg(feature = "std")]
fn pre_verified(
	scheme: carechain_primitives::signatures::Scheme,
	public: &[u8; 32],
	signature: &[u8; 64],
	message: &[u8],
) -> Option<bool> {
	use carechain_primitives::signatures::PreVerifiedExt;
	use sp_externalities::ExternalitiesExt;
	sp_externalities::with_externalities(|mut ext| {
		ext.extension::<PreVerifiedExt>()
			.and_then(|verdicts| verdicts.0.verdict(scheme, public, signature, message))
	})
	.flatten()
}
