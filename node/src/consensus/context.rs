//! The types Malachite agrees on: heights, validators, proposals and votes of Carechain.
//!
//! The value consensus decides is a block hash; the block itself travels beside the proposal
//! as streamed parts and, for nodes that catch up, as the synced value bytes. Signatures are
//! ed25519 through `arc-malachitebft-signing-ed25519` (ed25519-consensus, ZIP-215 like the
//! chain's own transaction signatures).

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_app_channel::app::types::core::{
	self as mc, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType,
};
use malachitebft_signing_ed25519 as ed;
use sp_core::H256;
use std::fmt;

/// The Malachite context of Carechain.
#[derive(Clone, Copy, Debug, Default)]
pub struct CarechainContext;

/// A block height as consensus counts it (block number, starting at 1 above genesis).
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Hash,
	BorshSerialize,
	BorshDeserialize,
)]
pub struct Height(pub u64);

impl fmt::Display for Height {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		self.0.fmt(f)
	}
}

impl mc::Height for Height {
	const ZERO: Self = Height(0);
	const INITIAL: Self = Height(1);

	fn increment_by(&self, n: u64) -> Self {
		Height(self.0.saturating_add(n))
	}

	fn decrement_by(&self, n: u64) -> Option<Self> {
		self.0.checked_sub(n).map(Height)
	}

	fn as_u64(&self) -> u64 {
		self.0
	}
}

/// A validator's address: its ed25519 consensus public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Address(pub [u8; 32]);

impl fmt::Display for Address {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "0x{}", hex::encode(self.0))
	}
}

impl fmt::Debug for Address {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		fmt::Display::fmt(self, f)
	}
}

impl mc::Address for Address {}

/// The signing scheme: malachite's ed25519 types, wrapped so that they encode in borsh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519;

/// An ed25519 signature on a consensus message.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signature(pub ed::Signature);

/// An ed25519 consensus public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(pub ed::PublicKey);

impl PublicKey {
	/// The key from its 32 bytes, if they encode a point.
	pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, String> {
		ed::PublicKey::from_bytes(bytes)
			.map(PublicKey)
			.map_err(|e| format!("0x{} is not an ed25519 public key: {e}", hex::encode(bytes)))
	}

	/// The validator address of this key.
	pub fn address(&self) -> Address {
		Address(*self.0.as_bytes())
	}
}

impl BorshSerialize for Signature {
	fn serialize<W: borsh::io::Write>(&self, writer: &mut W) -> borsh::io::Result<()> {
		writer.write_all(&self.0.to_bytes())
	}
}

impl BorshDeserialize for Signature {
	fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
		let mut bytes = [0u8; 64];
		reader.read_exact(&mut bytes)?;
		Ok(Signature(ed::Signature::from_bytes(bytes)))
	}
}

impl mc::SigningScheme for Ed25519 {
	type DecodingError = String;
	type Signature = Signature;
	type PublicKey = PublicKey;
	type PrivateKey = ed::PrivateKey;

	fn decode_signature(bytes: &[u8]) -> Result<Signature, String> {
		let bytes: [u8; 64] = bytes
			.try_into()
			.map_err(|_| format!("a signature has 64 bytes, not {}", bytes.len()))?;
		Ok(Signature(ed::Signature::from_bytes(bytes)))
	}

	fn encode_signature(signature: &Signature) -> Vec<u8> {
		signature.0.to_bytes().to_vec()
	}

	fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, String> {
		let bytes: [u8; 32] = bytes
			.try_into()
			.map_err(|_| format!("a public key has 32 bytes, not {}", bytes.len()))?;
		PublicKey::from_bytes(bytes)
	}

	fn encode_public_key(public_key: &PublicKey) -> Vec<u8> {
		public_key.0.as_bytes().to_vec()
	}
}

/// A member of the validator set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
	/// The address, derived from the key.
	pub address: Address,
	/// The consensus key.
	pub public_key: PublicKey,
	/// Its weight in votes.
	pub voting_power: u64,
}

impl Validator {
	/// A validator with the given key and power.
	pub fn new(public_key: PublicKey, voting_power: u64) -> Self {
		Self { address: public_key.address(), public_key, voting_power }
	}
}

impl mc::Validator<CarechainContext> for Validator {
	fn address(&self) -> &Address {
		&self.address
	}

	fn public_key(&self) -> &PublicKey {
		&self.public_key
	}

	fn voting_power(&self) -> u64 {
		self.voting_power
	}
}

/// The validators of a height, sorted by address so that every node sees the same order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
	validators: Vec<Validator>,
}

impl ValidatorSet {
	/// The set of these validators; duplicates of an address keep the first.
	pub fn new(mut validators: Vec<Validator>) -> Self {
		validators.sort_by_key(|v| v.address);
		validators.dedup_by_key(|v| v.address);
		Self { validators }
	}

	/// The validators, by address.
	pub fn validators(&self) -> &[Validator] {
		&self.validators
	}
}

impl mc::ValidatorSet<CarechainContext> for ValidatorSet {
	fn count(&self) -> usize {
		self.validators.len()
	}

	fn total_voting_power(&self) -> u64 {
		self.validators.iter().map(|v| v.voting_power).fold(0, u64::saturating_add)
	}

	fn get_by_address(&self, address: &Address) -> Option<&Validator> {
		self.validators
			.binary_search_by_key(address, |v| v.address)
			.ok()
			.and_then(|i| self.validators.get(i))
	}

	fn get_by_index(&self, index: usize) -> Option<&Validator> {
		self.validators.get(index)
	}
}

/// The identifier of a proposed block: its header hash.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Hash,
	BorshSerialize,
	BorshDeserialize,
)]
pub struct BlockHash(pub [u8; 32]);

impl From<H256> for BlockHash {
	fn from(hash: H256) -> Self {
		BlockHash(hash.0)
	}
}

impl From<BlockHash> for H256 {
	fn from(hash: BlockHash) -> Self {
		H256(hash.0)
	}
}

impl fmt::Display for BlockHash {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "0x{}", hex::encode(self.0))
	}
}

/// The value consensus decides: the hash of a block whose body every validator holds.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct Value(pub BlockHash);

impl mc::Value for Value {
	type Id = BlockHash;

	fn id(&self) -> BlockHash {
		self.0
	}
}

/// A proposal of a block for a height and round.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
	/// The height.
	pub height: Height,
	/// The round.
	pub round: Round,
	/// The proposed block's hash.
	pub value: Value,
	/// The round of the proof of lock, or nil.
	pub pol_round: Round,
	/// The proposer.
	pub proposer: Address,
}

impl Proposal {
	/// The bytes the proposer signs.
	pub fn signing_bytes(&self) -> Vec<u8> {
		[b"carechain/proposal".as_slice(), &borsh::to_vec(self).unwrap_or_default()].concat()
	}
}

impl mc::Proposal<CarechainContext> for Proposal {
	fn height(&self) -> Height {
		self.height
	}

	fn round(&self) -> Round {
		self.round
	}

	fn value(&self) -> &Value {
		&self.value
	}

	fn take_value(self) -> Value {
		self.value
	}

	fn pol_round(&self) -> Round {
		self.pol_round
	}

	fn validator_address(&self) -> &Address {
		&self.proposer
	}
}

/// A prevote or precommit.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
	/// Prevote or precommit.
	pub vote_type: VoteType,
	/// The height.
	pub height: Height,
	/// The round.
	pub round: Round,
	/// The block voted for, or nil.
	pub value: NilOrVal<BlockHash>,
	/// The voter.
	pub validator: Address,
	/// Vote extensions are not used by Carechain; the field exists for the trait.
	#[borsh(skip)]
	pub extension: Option<SignedExtension<CarechainContext>>,
}

impl Vote {
	/// A vote without extension.
	pub fn new(
		vote_type: VoteType,
		height: Height,
		round: Round,
		value: NilOrVal<BlockHash>,
		validator: Address,
	) -> Self {
		Self { vote_type, height, round, value, validator, extension: None }
	}

	/// The bytes the voter signs.
	pub fn signing_bytes(&self) -> Vec<u8> {
		[b"carechain/vote".as_slice(), &borsh::to_vec(self).unwrap_or_default()].concat()
	}
}

impl mc::Vote<CarechainContext> for Vote {
	fn height(&self) -> Height {
		self.height
	}

	fn round(&self) -> Round {
		self.round
	}

	fn value(&self) -> &NilOrVal<BlockHash> {
		&self.value
	}

	fn take_value(self) -> NilOrVal<BlockHash> {
		self.value
	}

	fn vote_type(&self) -> VoteType {
		self.vote_type
	}

	fn validator_address(&self) -> &Address {
		&self.validator
	}

	fn extension(&self) -> Option<&SignedExtension<CarechainContext>> {
		self.extension.as_ref()
	}

	fn take_extension(&mut self) -> Option<SignedExtension<CarechainContext>> {
		self.extension.take()
	}

	fn extend(self, extension: SignedExtension<CarechainContext>) -> Self {
		Self { extension: Some(extension), ..self }
	}
}

/// A piece of a streamed proposal: who proposes what, the block's bytes, and the proposer's
/// signature over all of it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalPart {
	/// Opens the stream.
	Init {
		/// The height.
		height: Height,
		/// The round.
		round: Round,
		/// The proposer.
		proposer: Address,
		/// The proof-of-lock round, or nil.
		pol_round: Round,
	},
	/// A chunk of the SCALE-encoded block.
	Data(Vec<u8>),
	/// Closes the stream with the proposer's signature over height, round and block hash.
	Fin(Signature),
	/// Not a piece of a proposal: SCALE-encoded extrinsics a node's users submitted, gossiped
	/// on the same channel (Malachite's network carries no other application traffic) in a
	/// stream of their own, so that any validator can include them.
	Transactions(Vec<Vec<u8>>),
}

impl mc::ProposalPart<CarechainContext> for ProposalPart {
	fn is_first(&self) -> bool {
		matches!(self, ProposalPart::Init { .. })
	}

	fn is_last(&self) -> bool {
		matches!(self, ProposalPart::Fin(_))
	}
}

/// What the proposer signs in the final part of a streamed proposal.
pub fn stream_signing_bytes(height: Height, round: Round, block: BlockHash) -> Vec<u8> {
	let round = round.as_i64();
	[b"carechain/block".as_slice(), &height.0.to_le_bytes(), &round.to_le_bytes(), &block.0]
		.concat()
}

impl mc::Context for CarechainContext {
	type Address = Address;
	type Height = Height;
	type ProposalPart = ProposalPart;
	type Proposal = Proposal;
	type Validator = Validator;
	type ValidatorSet = ValidatorSet;
	type Timeouts = LinearTimeouts;
	type Value = Value;
	type Vote = Vote;
	type Extension = Bytes;
	type SigningScheme = Ed25519;

	fn select_proposer<'a>(
		&self,
		validator_set: &'a ValidatorSet,
		height: Height,
		round: Round,
	) -> &'a Validator {
		// Round robin over the sorted set, moving on by one each height and each round.
		let count = validator_set.validators.len().max(1) as u64;
		let round = round.as_i64().max(0) as u64;
		let index = height.0.wrapping_add(round) % count;
		&validator_set.validators[index as usize]
	}

	fn new_proposal(
		&self,
		height: Height,
		round: Round,
		value: Value,
		pol_round: Round,
		address: Address,
	) -> Proposal {
		Proposal { height, round, value, pol_round, proposer: address }
	}

	fn new_prevote(
		&self,
		height: Height,
		round: Round,
		value_id: NilOrVal<BlockHash>,
		address: Address,
	) -> Vote {
		Vote::new(VoteType::Prevote, height, round, value_id, address)
	}

	fn new_precommit(
		&self,
		height: Height,
		round: Round,
		value_id: NilOrVal<BlockHash>,
		address: Address,
	) -> Vote {
		Vote::new(VoteType::Precommit, height, round, value_id, address)
	}
}
