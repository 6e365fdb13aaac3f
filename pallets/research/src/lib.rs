//! # Research Pallet
//!
//! Research use of patients' records, under the patients' control and in their accounting of
//! disclosures.
//!
//! ## Overview
//!
//! An admin or practitioner of an active research sponsor opens a **research access request**:
//! which kind of data set it needs (a HIPAA de-identified data set, or a limited data set,
//! 45 CFR 164.514(b) and (e)), the hashes of the ethics committee's approval and of the
//! data-use agreement, and until when it runs (at most `MaxRequestDuration`). The documents
//! themselves stay off chain.
//!
//! Patients opt in through the consent pallet: a grant to the sponsor's organization (or one of
//! its practitioners) for `Purpose::Research`, over all records, some resource types or listed
//! records; they opt out by revoking it, which stops every later release at once.
//!
//! The sponsor's staff then **release** records under the request, up to
//! `MaxRecordsPerRelease` at a time. Each record must exist, not be erased, and be readable by
//! the signer for research on the patient's consent alone: authorship, treatment
//! relationships and break-glass sessions never count for research. A release is all or
//! nothing. Each released record is written to its patient's audit log (the accounting of
//! disclosures) as a `Disclose` for `Research`, with the consent that allowed it, so a patient
//! sees every research use of their data, who made it and when; [`Releases`] keeps which
//! request released which record. The sponsor reads the records themselves from the vault,
//! as any consented reader does. A request that is closed or past its expiry releases nothing.
//!
//! Events carry request ids, organizations and counts: no patient account and no record id
//! (the block body's call holds the record ids, which the records pallet maps to patients:
//! releases are visible to the consortium's members, as consents are).
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::request_access`]: an admin or practitioner of an active research sponsor.
//! - [`Pallet::close_request`], [`Pallet::release`]: an admin or practitioner of the request's
//!   sponsor.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

use alloc::vec::Vec;
use carechain_primitives::{
	AccessBasis, AccessPolicy, AuditAction, AuditLog, Decision, Membership, MembershipProvider,
	Moment, OrgId, OrgKind, Purpose, RecordId, RecordLookup, Role,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// A research access request's id, assigned by the chain in order.
pub type RequestId = u32;

/// What kind of data set a request needs (HIPAA 45 CFR 164.514).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum DataSet {
	/// De-identified under 164.514(b): the 18 identifiers removed, or an expert's
	/// determination.
	DeIdentified,
	/// A limited data set under 164.514(e): direct identifiers removed, dates and places kept,
	/// used under a data-use agreement.
	LimitedDataSet,
}

/// A sponsor's research access request.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct ResearchRequest {
	/// The research sponsor that asked.
	pub sponsor: OrgId,
	/// The kind of data set.
	pub data_set: DataSet,
	/// blake2b-256 of the ethics committee's (IRB's) approval.
	pub ethics_approval_hash: H256,
	/// blake2b-256 of the data-use agreement.
	pub data_use_agreement_hash: H256,
	/// When it was opened.
	pub opened_at: Moment,
	/// When it stops releasing.
	pub expires_at: Moment,
	/// Whether the sponsor closed it.
	pub closed: bool,
	/// How many records it released.
	pub releases: u32,
}

/// What benchmarks need from the runtime beyond the pallet's `Config`.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Stores `patient`'s consent for `Purpose::Research` on all records to organization `org`.
	fn grant_research(patient: &AccountId, org: OrgId);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Saturating;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the research pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry: organizations and roles.
		type Registry: MembershipProvider<Self::AccountId>;
		/// The patients' consents, and their audit logs.
		type Access: AccessPolicy<Self::AccountId> + AuditLog<Self::AccountId>;
		/// The record index.
		type Records: RecordLookup<Self::AccountId>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// The longest a request runs, in milliseconds.
		#[pallet::constant]
		type MaxRequestDuration: Get<Moment>;
		/// The most records one release holds.
		#[pallet::constant]
		type MaxRecordsPerRelease: Get<u32>;
		/// The most weight one `Access::check_access` takes (it reads the patient's consents),
		/// charged once per released record.
		type CheckAccessWeight: Get<Weight>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Stores research consents for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The id the next request gets.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// Research access requests. Ids are assigned by the chain in order, so `Twox64Concat` is
	/// safe.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Twox64Concat, RequestId, ResearchRequest>;

	/// Each record each request released, and when.
	// Request ids are the chain's; record ids are blake2b-256 hashes the records pallet derives,
	// so `Identity` is safe.
	#[pallet::storage]
	pub type Releases<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RequestId, Identity, RecordId, Moment>;

	// Event fields are named for what they hold; the variant docs say what happened. No patient
	// account and no record id.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A sponsor opened a research access request.
		AccessRequested {
			request: RequestId,
			sponsor: OrgId,
			data_set: DataSet,
			expires_at: Moment,
		},
		/// The sponsor closed a request: it releases nothing more.
		RequestClosed { request: RequestId },
		/// Records were released under a request, each audited in its patient's log.
		RecordsReleased { request: RequestId, records: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The signer is not a member of an active research sponsor.
		NotResearchSponsor,
		/// The signer is neither an admin nor a practitioner of its research sponsor.
		NotSponsorStaff,
		/// The signer is not a member of the request's sponsor.
		NotRequestSponsor,
		/// No request has that id.
		UnknownRequest,
		/// The request was closed.
		RequestClosed,
		/// The request has expired.
		RequestExpired,
		/// The expiry is not in the future.
		ExpiryInPast,
		/// The expiry is further than `MaxRequestDuration` ahead.
		ExpiryTooFar,
		/// A document hash is zero: hash the document.
		ZeroHash,
		/// A release names no record.
		NoRecords,
		/// A release names more than `MaxRecordsPerRelease` records.
		TooManyRecords,
		/// A release names a record twice.
		DuplicateRecord,
		/// The request released that record already.
		AlreadyReleased,
		/// No record has that id.
		UnknownRecord,
		/// The record was erased.
		RecordErased,
		/// The record's patient has given the signer no research consent that covers it now
		/// (none, revoked, expired, out of scope, or the signer is not an active member); also
		/// when the signer is the patient or a guardian, whose access is never a research
		/// release.
		NoResearchConsent,
		/// The chain has used every request id.
		RequestIdOverflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Opens a research access request.
		///
		/// The signer must be an admin or practitioner of an active research sponsor.
		///
		/// - `data_set`: de-identified or a limited data set.
		/// - `ethics_approval_hash`: blake2b-256 of the ethics committee's approval.
		/// - `data_use_agreement_hash`: blake2b-256 of the data-use agreement.
		/// - `expires_at`: when it stops releasing, within `MaxRequestDuration` from now.
		///
		/// Emits `AccessRequested`. O(1).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::request_access())]
		pub fn request_access(
			origin: OriginFor<T>,
			data_set: DataSet,
			ethics_approval_hash: H256,
			data_use_agreement_hash: H256,
			expires_at: Moment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let sponsor = Self::sponsor_staff(&who)?.org;
			ensure!(
				!ethics_approval_hash.is_zero() && !data_use_agreement_hash.is_zero(),
				Error::<T>::ZeroHash
			);
			let now = T::Time::now();
			ensure!(expires_at > now, Error::<T>::ExpiryInPast);
			ensure!(
				expires_at <= now.saturating_add(T::MaxRequestDuration::get()),
				Error::<T>::ExpiryTooFar
			);
			let request = NextRequestId::<T>::get();
			let next = request.checked_add(1).ok_or(Error::<T>::RequestIdOverflow)?;

			NextRequestId::<T>::put(next);
			Requests::<T>::insert(
				request,
				ResearchRequest {
					sponsor,
					data_set,
					ethics_approval_hash,
					data_use_agreement_hash,
					opened_at: now,
					expires_at,
					closed: false,
					releases: 0,
				},
			);
			Self::deposit_event(Event::AccessRequested { request, sponsor, data_set, expires_at });
			Ok(())
		}

		/// Closes a request: it releases nothing more.
		///
		/// The signer must be an admin or practitioner of the request's sponsor.
		///
		/// - `request`: the request, open.
		///
		/// Emits `RequestClosed`. O(1).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::close_request())]
		pub fn close_request(origin: OriginFor<T>, request: RequestId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::requests_of(&who, request)?;
			ensure!(!info.closed, Error::<T>::RequestClosed);

			info.closed = true;
			Requests::<T>::insert(request, info);
			Self::deposit_event(Event::RequestClosed { request });
			Ok(())
		}

		/// Releases records under a request, all or none: each must exist, not be erased, and
		/// be readable by the signer for research on its patient's consent, and is audited in
		/// its patient's accounting of disclosures.
		///
		/// The signer must be an admin or practitioner of the request's sponsor; the request
		/// must be open and unexpired.
		///
		/// - `request`: the request.
		/// - `records`: 1 to `MaxRecordsPerRelease` record ids, each once, none released under
		///   the request before.
		///
		/// Emits `RecordsReleased`. O(n·g): n records, each with its patient's g consents;
		/// charged for `CheckAccessWeight` per record.
		#[pallet::call_index(2)]
		#[pallet::weight(
			T::WeightInfo::release(records.len() as u32)
				.saturating_add(T::CheckAccessWeight::get().saturating_mul(records.len() as u64))
		)]
		pub fn release(
			origin: OriginFor<T>,
			request: RequestId,
			records: Vec<RecordId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!records.is_empty(), Error::<T>::NoRecords);
			ensure!(
				records.len() <= T::MaxRecordsPerRelease::get() as usize,
				Error::<T>::TooManyRecords
			);
			let mut info = Self::requests_of(&who, request)?;
			ensure!(!info.closed, Error::<T>::RequestClosed);
			let now = T::Time::now();
			ensure!(now < info.expires_at, Error::<T>::RequestExpired);
			let mut sorted = records.clone();
			sorted.sort_unstable();
			ensure!(sorted.windows(2).all(|w| w[0] != w[1]), Error::<T>::DuplicateRecord);

			let mut audited = Vec::with_capacity(records.len());
			for record in &records {
				ensure!(!Releases::<T>::contains_key(request, record), Error::<T>::AlreadyReleased);
				let subject =
					T::Records::record_subject(record).ok_or(Error::<T>::UnknownRecord)?;
				ensure!(!subject.erased, Error::<T>::RecordErased);
				// Only the patient's consent opens a record to research: not authorship, a
				// treatment relationship or an emergency.
				match T::Access::check_access(
					&subject.patient,
					&who,
					record,
					Purpose::Research,
					now,
				) {
					Decision::Allowed(basis @ AccessBasis::Consent(_)) => {
						audited.push((*record, subject.patient, basis))
					}
					_ => return Err(Error::<T>::NoResearchConsent.into()),
				}
			}

			let count = audited.len() as u32;
			for (record, patient, basis) in audited {
				Releases::<T>::insert(request, record, now);
				T::Access::append(
					&patient,
					&who,
					Some(record),
					Some(Purpose::Research),
					AuditAction::Disclose,
					Some(basis),
				);
			}
			info.releases.saturating_accrue(count);
			Requests::<T>::insert(request, info);
			Self::deposit_event(Event::RecordsReleased { request, records: count });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The signer's membership, if it is an admin or practitioner of an active research
		/// sponsor.
		fn sponsor_staff(who: &T::AccountId) -> Result<Membership, DispatchError> {
			let membership = T::Registry::active_membership(who)
				.filter(|m| m.kind == OrgKind::ResearchSponsor)
				.ok_or(Error::<T>::NotResearchSponsor)?;
			ensure!(
				matches!(membership.role, Role::Admin | Role::Practitioner),
				Error::<T>::NotSponsorStaff
			);
			Ok(membership)
		}

		/// The request, if the signer is an admin or practitioner of its sponsor.
		fn requests_of(
			who: &T::AccountId,
			request: RequestId,
		) -> Result<ResearchRequest, DispatchError> {
			let info = Requests::<T>::get(request).ok_or(Error::<T>::UnknownRequest)?;
			let membership = Self::sponsor_staff(who)?;
			ensure!(membership.org == info.sponsor, Error::<T>::NotRequestSponsor);
			Ok(info)
		}

		/// The records a request released, with when.
		pub fn released(request: RequestId) -> Vec<(RecordId, Moment)> {
			Releases::<T>::iter_prefix(request).collect()
		}

		/// Checks the pallet's invariants: every request runs at most `MaxRequestDuration`, its
		/// release count is the number of records it released, each release lies within its
		/// request's life and names a record the index holds, and no request has an id at or
		/// past `NextRequestId`.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let next = NextRequestId::<T>::get();
			for (id, request) in Requests::<T>::iter() {
				ensure!(id < next, "a request's id is at or past NextRequestId");
				ensure!(
					request.opened_at < request.expires_at
						&& request.expires_at
							<= request.opened_at.saturating_add(T::MaxRequestDuration::get()),
					"a request runs longer than MaxRequestDuration"
				);
				let mut count = 0u32;
				for (record, at) in Releases::<T>::iter_prefix(id) {
					ensure!(
						request.opened_at <= at && at < request.expires_at,
						"a release lies outside its request's life"
					);
					ensure!(
						T::Records::record_subject(&record).is_some(),
						"a released record is not in the record index"
					);
					count.saturating_inc();
				}
				ensure!(count == request.releases, "a request's release count is wrong");
			}
			for (id, _, _) in Releases::<T>::iter() {
				ensure!(Requests::<T>::contains_key(id), "a release of an unknown request");
			}
			Ok(())
		}
	}
}

sp_api::decl_runtime_apis! {
	/// Queries of research access, for the node and wallets.
	pub trait ResearchApi {
		/// A request, or `None`.
		fn request(request: RequestId) -> Option<ResearchRequest>;
		/// The records a request released, with when.
		fn released(request: RequestId) -> Vec<(RecordId, Moment)>;
	}
}
