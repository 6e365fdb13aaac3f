//! Authenticated reads: who a caller is, and what each method answers whom.
//!
//! - **Sign-in.** `auth_challenge(account)` gives a single-use challenge that this node checks
//!   without keeping anything ([`crate::challenge`], the vault's mechanism). The account signs
//!   [`sign_in_message`] (the chain's `MultiSignature` scheme: ed25519 or sr25519, raw or
//!   wrapped in `<Bytes>…</Bytes>` as browser wallet extensions sign) and sends it to
//!   `auth_signIn(account, challenge, signature)`, which answers a session token. Only
//!   accounts the chain knows sign in: members of an organization and registered patients
//!   (guardians are one or the other).
//! - **Sessions**: a token is the account, the node's number of its sign-in, the sign-in time and
//!   the expiry under a MAC of a secret of this node (`<base path>/chains/<id>/rpc/session.key`),
//!   so a restart keeps them and another node's tokens, expired tokens and altered tokens are
//!   refused. A token lives [`AuthSettings::session_ttl`] (15 minutes); `auth_renew(token)` gives
//!   a fresh one, of the same sign-in, until [`AuthSettings::max_session_age`] after sign-in (12
//!   hours), then the account signs in again.
//! - **Revocation** ([`Revocations`], kept beside the key, so across restarts too):
//!   `auth_signOutEverywhere()` ends every session of the caller's own account.
//!   `auth_signOut(token)` ends the token's sign-in, every token renewed from it included, on
//!   every connection; the operator's `carechain auth revoke-account` ends every session of an
//!   account. Every call checks it.
//! - **Transport.** HTTP: `Authorization: Bearer <token>`. WebSocket (browsers cannot set
//!   headers there): the same header on the handshake, `?token=<token>` in the URL, or the
//!   subprotocol `carechain.token.<token>`, which the server selects in its answer. A WebSocket
//!   connection's session is the handshake's, replaced by any session that `auth_signIn` or
//!   `auth_renew` answers on that connection, so a long-lived connection renews in place.
//! - **Method classes** ([`class`]), when authentication is on: public by design (anonymous
//!   callers included), raw state and blocks (active members of active organizations only),
//!   and patient-linked (a session, then the handler's own check of patient, guardian or
//!   grantee). Anything not listed is for members only.
//!
//! Refusals are JSON-RPC errors [`UNAUTHENTICATED`] to [`SIGN_IN_BUSY`], with messages that
//! say what to do.

mod middleware;
mod revocations;
mod token;

pub use middleware::{class, AuthCalls, AuthHttp, AuthHttpLayer, AuthRpcLayer, MethodClass};
pub use revocations::{
	parse_account, request_account_end, RevocationError, Revocations, MAX_ENDED_ACCOUNTS,
};
pub use token::{Session, Sessions, TokenError};

use crate::{
	challenge::{verify_signature, ChallengeError, Challenges, Issued},
	service::Node,
};
use carechain_primitives::OrgId;
use carechain_runtime::AccountId;
use codec::Encode;
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{ErrorObject, ErrorObjectOwned},
	Extensions,
};
use parking_lot::Mutex;
use sp_core::{Bytes, H256};
use std::{
	collections::HashMap,
	sync::Arc,
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use zeroize::Zeroizing;

/// No session, or a token this node did not issue (another node's, altered, malformed).
pub const UNAUTHENTICATED: i32 = -32040;
/// The session's account may not call this method, or not for this patient.
pub const FORBIDDEN: i32 = -32041;
/// The session ended: renew before it ends, or sign in again.
pub const SESSION_EXPIRED: i32 = -32042;
/// A sign-in whose challenge or signature does not verify.
pub const SIGN_IN_REFUSED: i32 = -32043;
/// Too many sign-ins at once, by this account or in all; transient.
pub const SIGN_IN_BUSY: i32 = -32044;
/// The chain could not be read to decide, or a sign-out could not be made durable; transient.
pub const AUTH_UNAVAILABLE: i32 = -32045;
/// The session was signed out, or the operator ended its account's sessions: sign in again.
pub const SESSION_REVOKED: i32 = -32046;

/// The prefix of the WebSocket subprotocol that carries a token.
pub const TOKEN_PROTOCOL: &str = "carechain.token.";

/// The domain tag of [`sign_in_message`].
const SIGN_IN_TAG: &[u8; 24] = b"carechain/rpc/sign-in/v1";

/// What an account signs to sign in: the SCALE encoding of the tag
/// `carechain/rpc/sign-in/v1`, the chain's genesis hash, the challenge and the account (24 +
/// 32 + 32 + 32 bytes, no length prefixes). It names the chain, this node's challenge and the
/// account, so a signature serves one sign-in, here, as this account; the tag keeps it apart
/// from transactions and the vault's messages.
pub fn sign_in_message(genesis: &H256, challenge: &H256, account: &AccountId) -> Vec<u8> {
	(SIGN_IN_TAG, genesis, challenge, account).encode()
}

/// `message` as browser wallet extensions sign raw bytes (`<Bytes>…</Bytes>`).
fn wrapped(message: &[u8]) -> Vec<u8> {
	[b"<Bytes>".as_slice(), message, b"</Bytes>"].concat()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
	SystemTime::now()
		.duration_since(UNIX_EPOCH)
		.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// How authentication behaves.
#[derive(Clone, Debug)]
pub struct AuthSettings {
	/// Whether calls are checked; when off every method answers anyone, as on a `--dev` node on
	/// loopback, and sign-in still works so clients need not know.
	pub enforce: bool,
	/// How long a token lives.
	pub session_ttl: Duration,
	/// How long after sign-in tokens may be renewed.
	pub max_session_age: Duration,
	/// How long a sign-in challenge lives.
	pub challenge_ttl: Duration,
	/// How long an account's membership, read from the chain, is trusted before it is read
	/// again: a member removed or an organization suspended loses raw reads within this time.
	pub membership_ttl: Duration,
	/// The most sign-ins within `max_session_age` that the node tracks for revocation (a bit
	/// each); past it sign-ins are refused until the oldest are past their longest life. The
	/// sign-in challenges' own bound (65,536 per 2 minutes) stays below the default.
	pub max_sign_ins: u64,
}

impl Default for AuthSettings {
	fn default() -> Self {
		Self {
			enforce: true,
			session_ttl: Duration::from_secs(15 * 60),
			max_session_age: Duration::from_secs(12 * 60 * 60),
			challenge_ttl: Duration::from_secs(120),
			membership_ttl: Duration::from_secs(5),
			max_sign_ins: 1 << 25,
		}
	}
}

/// Who is calling, as the server's middleware saw it; each call's extensions carry one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
	/// Authentication is off: every method answers.
	Open,
	/// No token.
	Anonymous,
	/// A token that was refused, and why.
	Refused(TokenError),
	/// A signed-in account.
	Signed(Session),
}

impl Caller {
	/// The caller at `now` (ms): a session past its expiry is refused. Revocation is
	/// [`Auth::current`]'s.
	fn at(self, now: u64) -> Self {
		match self {
			Caller::Signed(session) if session.expires_at <= now => {
				Caller::Refused(TokenError::Expired(session.expires_at))
			}
			other => other,
		}
	}

	/// The signed-in account, or the refusal of `method` to this caller. `Open` is `None`.
	pub fn account(&self, method: &str) -> Result<Option<&AccountId>, AuthError> {
		match self {
			Caller::Open => Ok(None),
			Caller::Signed(session) => Ok(Some(&session.account)),
			Caller::Anonymous => Err(AuthError::Unauthenticated { method: method.to_owned() }),
			Caller::Refused(TokenError::Expired(at)) => Err(AuthError::Expired { at: *at }),
			Caller::Refused(
				e @ (TokenError::SignedOut | TokenError::Revoked | TokenError::Unknown),
			) => Err(AuthError::Revoked(e.clone())),
			Caller::Refused(e) => Err(AuthError::BadToken(e.clone())),
		}
	}
}

/// A connection's caller as it is now, for subscriptions, which outlive the call that opened
/// them: a renewal on the connection extends them, and the session's end, a sign-out or the
/// loss of membership ends them.
#[derive(Clone)]
pub struct LiveCaller {
	auth: Arc<Auth>,
	adopted: Arc<Mutex<Option<Caller>>>,
	handshake: Caller,
}

impl LiveCaller {
	/// The caller now: a session signed out or revoked since is refused.
	pub fn now(&self) -> Caller {
		self.auth.current(self.adopted.lock().clone().unwrap_or_else(|| self.handshake.clone()))
	}

	/// Whether the caller may still hold a subscription of `class`.
	pub fn admits(&self, class: MethodClass, method: &str) -> Result<(), AuthError> {
		self.auth.admit(&self.now(), class, method)
	}

	/// How long until the session ends, if there is one.
	pub fn remaining(&self) -> Option<Duration> {
		match self.now() {
			Caller::Signed(session) => {
				Some(Duration::from_millis(session.expires_at.saturating_sub(now_ms())))
			}
			_ => None,
		}
	}
}

/// The caller of a call, from its extensions. A call without one did not come through the
/// server (a test or a fuzz harness calling the module): it counts as anonymous.
pub fn caller(extensions: &Extensions) -> Caller {
	extensions.get::<Caller>().cloned().unwrap_or(Caller::Anonymous)
}

/// Why authentication refused a call. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
	/// No session.
	#[error("{method} needs a session: get a challenge with auth_challenge(account), sign it (see auth_signIn) and call auth_signIn(account, challenge, signature); then send the token as `Authorization: Bearer <token>` (HTTP, or the WebSocket handshake), `?token=<token>` in the URL, or the WebSocket subprotocol `carechain.token.<token>`")]
	Unauthenticated {
		/// The method called.
		method: String,
	},
	/// A token this node does not accept.
	#[error("the session token is not valid on this node ({0}): sign in again with auth_challenge and auth_signIn")]
	BadToken(TokenError),
	/// The session ended.
	#[error("the session ended at {at} ms since the Unix epoch: call auth_renew(token) before a session ends, or sign in again with auth_challenge and auth_signIn")]
	Expired {
		/// When it ended.
		at: u64,
	},
	/// A session signed out, or whose account's sessions the operator ended.
	#[error("the session token is no longer valid ({0}): sign in again with auth_challenge and auth_signIn")]
	Revoked(TokenError),
	/// Renewal past the session's longest life.
	#[error("this session began at {signed_in_at} ms since the Unix epoch and may be renewed for {max:?} after sign-in: sign in again with auth_challenge and auth_signIn")]
	TooOld {
		/// When the account signed in.
		signed_in_at: u64,
		/// The longest life.
		max: Duration,
	},
	/// A raw read by an account that is not an active member.
	#[error("{account} is not a member of an active consortium organization: {method} answers members only; patients read their own data with records_byPatient, consent_accountingOfDisclosures and the vault")]
	NotMember {
		/// The caller.
		account: AccountId,
		/// The method.
		method: String,
	},
	/// A patient-linked read by an account not entitled to it.
	#[error("{account} may not {what} of patient {patient}: only the patient, a guardian, or a grantee whose consent covers the request may; ask the patient for a consent")]
	NotEntitled {
		/// The caller.
		account: AccountId,
		/// The patient.
		patient: AccountId,
		/// What was asked.
		what: &'static str,
	},
	/// A vault request made in another account's name.
	#[error("this session is {session}'s, but the request acts as {named}: sign in as {named}, or name your own account")]
	NotYourAccount {
		/// The session's account.
		session: AccountId,
		/// The account the request names.
		named: AccountId,
	},
	/// Sign-in by an account the chain does not know.
	#[error("{0} is neither a registered patient nor a member of a consortium organization: register with registry.register_patient (anyone may), or ask an organization's admin to add you")]
	UnknownAccount(AccountId),
	/// A challenge that does not verify.
	#[error("sign-in challenge refused ({0}): ask auth_challenge for a fresh one for this account and sign it within its lifetime")]
	Challenge(ChallengeError),
	/// A signature that does not verify.
	#[error("the signature does not verify for {0}: sign carechain/rpc/sign-in/v1 ++ genesis hash ++ challenge ++ account (32 bytes each) with this account's ed25519 or sr25519 key")]
	BadSignature(AccountId),
	/// Too many sign-ins.
	#[error("too many sign-ins ({0}): retry in a minute")]
	Busy(ChallengeError),
	/// Too many sign-ins within the longest session life to track their revocation.
	#[error("too many sign-ins on this node ({0}): retry then, or sign in on another node")]
	TooManySessions(RevocationError),
	/// A sign-out or revocation that holds in memory but could not be written down, so a
	/// restart could forget it.
	#[error("the session ended, but this node could not record it on disk ({0}): retry, so that it also holds after a restart")]
	NotDurable(RevocationError),
	/// The operator ended the sessions of too many accounts at once.
	#[error("{0}: wait until the oldest of these revocations is 12 hours old")]
	TooManyRevocations(RevocationError),
	/// The chain could not be read.
	#[error("the chain could not be read to check this call ({0}): retry")]
	Chain(String),
}

impl AuthError {
	/// The JSON-RPC error code.
	pub fn code(&self) -> i32 {
		match self {
			AuthError::Unauthenticated { .. } | AuthError::BadToken(_) => UNAUTHENTICATED,
			AuthError::Expired { .. } | AuthError::TooOld { .. } => SESSION_EXPIRED,
			AuthError::Revoked(_) => SESSION_REVOKED,
			AuthError::NotMember { .. }
			| AuthError::NotEntitled { .. }
			| AuthError::NotYourAccount { .. }
			| AuthError::UnknownAccount(_) => FORBIDDEN,
			AuthError::Challenge(_) | AuthError::BadSignature(_) => SIGN_IN_REFUSED,
			AuthError::Busy(_) | AuthError::TooManySessions(_) => SIGN_IN_BUSY,
			AuthError::Chain(_) | AuthError::NotDurable(_) | AuthError::TooManyRevocations(_) => {
				AUTH_UNAVAILABLE
			}
		}
	}
}

impl From<AuthError> for ErrorObjectOwned {
	fn from(error: AuthError) -> Self {
		ErrorObject::owned(error.code(), error.to_string(), None::<()>)
	}
}

/// A sign-in challenge, as `auth_challenge` answers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInChallenge {
	/// The 32 bytes to sign into [`sign_in_message`].
	pub challenge: H256,
	/// The genesis hash the message names.
	pub genesis_hash: H256,
	/// Milliseconds it stays valid.
	pub expires_in_ms: u64,
}

/// A session, as `auth_signIn` and `auth_renew` answer it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionGrant {
	/// The token to send with each request.
	pub token: String,
	/// The signed-in account.
	pub account: AccountId,
	/// When the token stops working, in milliseconds since the Unix epoch.
	pub expires_at: u64,
	/// Milliseconds from now until then.
	pub expires_in_ms: u64,
	/// Until when (ms since the Unix epoch) `auth_renew` extends it; then sign in again.
	pub renewable_until: u64,
}

/// The caller's session, as `auth_session` answers it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
	/// The signed-in account.
	pub account: AccountId,
	/// When the session ends, in milliseconds since the Unix epoch.
	pub expires_at: u64,
}

/// `auth_*`: signing in.
#[rpc(server, client, namespace = "auth")]
pub trait AuthApi {
	/// A single-use challenge for `account` to sign into `auth_signIn`.
	#[method(name = "challenge")]
	fn challenge(&self, account: AccountId) -> RpcResult<SignInChallenge>;
	/// A session for `account`, which signed `sign_in_message(genesis, challenge, account)`.
	#[method(name = "signIn")]
	fn sign_in(
		&self,
		account: AccountId,
		challenge: H256,
		signature: Bytes,
	) -> RpcResult<SessionGrant>;
	/// A fresh token for the session of `token`, which must still be valid.
	#[method(name = "renew")]
	fn renew(&self, token: String) -> RpcResult<SessionGrant>;
	/// The session this call is made in; null when anonymous.
	#[method(name = "session", with_extensions)]
	fn session(&self) -> RpcResult<Option<SessionInfo>>;
	/// Ends the sign-in of `token` (the call's own session when not given) for every later use,
	/// on every connection: the token and every token renewed from the same sign-in, before or
	/// after it. A WebSocket connection's later calls are anonymous. False when there was no
	/// session to end.
	#[method(name = "signOut", with_extensions)]
	fn sign_out(&self, token: Option<String>) -> RpcResult<bool>;
	/// Ends every session of the call's own account signed in until now, on every connection
	/// to this node (a patient who lost a device ends what it held without the token). Later
	/// sign-ins are not affected. False when the call has no session.
	#[method(name = "signOutEverywhere", with_extensions)]
	fn sign_out_everywhere(&self) -> RpcResult<bool>;
}

/// Authentication of one node: its sessions, sign-in challenges and the chain it asks.
pub struct Auth {
	node: Arc<Node>,
	settings: AuthSettings,
	sessions: Sessions,
	revocations: Revocations,
	challenges: Challenges,
	/// (account) -> (read at, active organization).
	members: Mutex<HashMap<AccountId, (Instant, Option<OrgId>)>>,
}

impl std::fmt::Debug for Auth {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Auth").field("settings", &self.settings).finish_non_exhaustive()
	}
}

/// Memberships cached at most; beyond it the cache starts again.
const MAX_CACHED_MEMBERS: usize = 65_536;

impl Auth {
	/// Authentication over `node`'s chain with tokens under `key`, whose revocations a restart
	/// forgets: for tests, and keys that do not outlive the process either.
	pub fn new(node: Arc<Node>, key: Zeroizing<[u8; 32]>, settings: AuthSettings) -> Arc<Self> {
		let revocations = Revocations::in_memory(settings.max_session_age, settings.max_sign_ins);
		Self::with_revocations(node, key, settings, revocations)
	}

	/// Authentication over `node`'s chain with tokens under `key`, kept across restarts, and
	/// their revocations kept in the file `revocations` (made on first use).
	pub fn open(
		node: Arc<Node>,
		key: Zeroizing<[u8; 32]>,
		settings: AuthSettings,
		revocations: &std::path::Path,
	) -> Result<Arc<Self>, String> {
		let revocations = Revocations::open(
			revocations,
			settings.max_session_age,
			settings.max_sign_ins,
			now_ms(),
		)?;
		Ok(Self::with_revocations(node, key, settings, revocations))
	}

	fn with_revocations(
		node: Arc<Node>,
		key: Zeroizing<[u8; 32]>,
		settings: AuthSettings,
		revocations: Revocations,
	) -> Arc<Self> {
		// Only accounts the chain knows redeem challenges: a flood needs registered accounts.
		let challenges =
			Challenges::new(b"carechain-rpc-sign-in-mac-v1", settings.challenge_ttl, 64, 1 << 16);
		Arc::new(Self {
			node,
			settings,
			sessions: Sessions::new(key),
			revocations,
			challenges,
			members: Mutex::default(),
		})
	}

	/// Ends every session of `account` signed in until now, on every connection: the
	/// operator's revocation (`carechain auth revoke-account`, through
	/// [`Self::apply_operator_requests`]).
	pub fn end_account(&self, account: &AccountId) -> Result<(), AuthError> {
		self.revocations.end_account(account, now_ms()).map_err(|e| match e {
			RevocationError::TooManyAccounts(_) => AuthError::TooManyRevocations(e),
			other => AuthError::NotDurable(other),
		})
	}

	/// Applies the operator's revocations waiting beside the revocations file; the accounts
	/// whose sessions ended.
	pub fn apply_operator_requests(&self) -> Vec<AccountId> {
		self.revocations.apply_requests(now_ms())
	}

	/// Applies the operator's revocations every second, for as long as the node runs.
	pub fn spawn_operator_requests(self: &Arc<Self>) {
		let weak = Arc::downgrade(self);
		tokio::spawn(async move {
			let mut tick = tokio::time::interval(Duration::from_secs(1));
			loop {
				tick.tick().await;
				// Ends with the node's authentication.
				let Some(auth) = weak.upgrade() else { return };
				auth.apply_operator_requests();
			}
		});
	}

	/// `caller` as it stands now: a session past its expiry, signed out or revoked is refused.
	pub fn current(&self, caller: Caller) -> Caller {
		match caller.at(now_ms()) {
			Caller::Signed(session) => {
				match self.revocations.check(&session.account, session.sign_in) {
					Ok(()) => Caller::Signed(session),
					Err(e) => Caller::Refused(e),
				}
			}
			other => other,
		}
	}

	/// Its settings.
	pub fn settings(&self) -> &AuthSettings {
		&self.settings
	}

	/// The caller of a request that always needs a session, whether or not RPC's
	/// authentication is on: the FHIR interface's.
	pub fn signed_caller(&self, token: Option<&str>) -> Caller {
		match token {
			None => Caller::Anonymous,
			Some(token) => match self.sessions.verify(token, now_ms()) {
				Ok(session) => self.current(Caller::Signed(session)),
				Err(e) => Caller::Refused(e),
			},
		}
	}

	/// The caller of an HTTP request or WebSocket handshake with this `token`.
	fn caller_of(&self, token: Option<&str>) -> Caller {
		if !self.settings.enforce {
			return Caller::Open;
		}
		match token {
			None => Caller::Anonymous,
			Some(token) => match self.sessions.verify(token, now_ms()) {
				Ok(session) => self.current(Caller::Signed(session)),
				Err(e) => Caller::Refused(e),
			},
		}
	}

	/// The active organization of `who`, read at the best block or taken from the cache.
	pub fn active_organization(&self, who: &AccountId) -> Result<Option<OrgId>, AuthError> {
		let now = Instant::now();
		if let Some((read, org)) = self.members.lock().get(who) {
			if now.duration_since(*read) < self.settings.membership_ttl {
				return Ok(*org);
			}
		}
		let state = self.state()?;
		let org = crate::registry::active_organization(&state, who).map_err(AuthError::Chain)?;
		let mut members = self.members.lock();
		if members.len() >= MAX_CACHED_MEMBERS {
			members.clear();
		}
		members.insert(who.clone(), (now, org));
		Ok(org)
	}

	fn state(&self) -> Result<crate::client::State, AuthError> {
		let head = self.node.client.head().hash;
		self.node.client.state_at(head).map_err(|e| AuthError::Chain(e.to_string()))
	}

	/// Whether the chain knows `who`: a member of an organization or a registered patient.
	fn known(&self, who: &AccountId) -> Result<bool, AuthError> {
		let state = self.state()?;
		let member = crate::registry::membership(&state, who).map_err(AuthError::Chain)?;
		Ok(member.is_some()
			|| crate::registry::is_patient(&state, who).map_err(AuthError::Chain)?)
	}

	/// Whether `caller` may make a call of `class`; `method` names it in refusals.
	fn admit(&self, caller: &Caller, class: MethodClass, method: &str) -> Result<(), AuthError> {
		if class == MethodClass::Public {
			return Ok(());
		}
		let Some(account) = caller.account(method)? else { return Ok(()) };
		if class == MethodClass::Members && self.active_organization(account)?.is_none() {
			return Err(AuthError::NotMember { account: account.clone(), method: method.into() });
		}
		Ok(())
	}

	/// A grant of a token to `account`, of the sign-in numbered `sign_in` made at
	/// `signed_in_at`.
	fn grant(&self, account: AccountId, sign_in: u64, signed_in_at: u64) -> SessionGrant {
		let now = now_ms();
		let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
		let renewable_until = signed_in_at.saturating_add(ms(self.settings.max_session_age));
		let expires_at = now.saturating_add(ms(self.settings.session_ttl)).min(renewable_until);
		let session = Session { account: account.clone(), sign_in, signed_in_at, expires_at };
		SessionGrant {
			token: self.sessions.issue(&session),
			account,
			expires_at,
			expires_in_ms: expires_at.saturating_sub(now),
			renewable_until,
		}
	}

	/// Signs `account` in: see [`AuthApiServer::sign_in`].
	pub fn sign_in(
		&self,
		account: AccountId,
		challenge: H256,
		signature: &[u8],
	) -> Result<SessionGrant, AuthError> {
		let issued: Issued =
			self.challenges.check(&challenge, &account).map_err(AuthError::Challenge)?;
		let message = sign_in_message(&self.node.client.genesis_hash(), &challenge, &account);
		if !verify_signature(&account, &message, signature)
			&& !verify_signature(&account, &wrapped(&message), signature)
		{
			return Err(AuthError::BadSignature(account));
		}
		if !self.known(&account)? {
			return Err(AuthError::UnknownAccount(account));
		}
		self.challenges.redeem(&challenge, &account, issued).map_err(|e| match e {
			ChallengeError::AccountBusy { .. } => AuthError::Busy(e),
			other => AuthError::Challenge(other),
		})?;
		let now = now_ms();
		let sign_in = match self.revocations.issue(now) {
			Ok(sign_in) => sign_in,
			Err(e) => {
				// Not the caller's fault: the same signed sign-in may be retried.
				self.challenges.unredeem(&challenge, &account);
				return Err(match e {
					RevocationError::Full { .. } => AuthError::TooManySessions(e),
					other => AuthError::NotDurable(other),
				});
			}
		};
		Ok(self.grant(account, sign_in, now))
	}

	/// A fresh token for a valid one's session.
	pub fn renew(&self, token: &str) -> Result<SessionGrant, AuthError> {
		let session = self.sessions.verify(token, now_ms()).map_err(|e| match e {
			TokenError::Expired(at) => AuthError::Expired { at },
			other => AuthError::BadToken(other),
		})?;
		// A signed-out sign-in is not renewed, whichever of its tokens is presented.
		self.revocations.check(&session.account, session.sign_in).map_err(AuthError::Revoked)?;
		let max = self.settings.max_session_age;
		let age = now_ms().saturating_sub(session.signed_in_at);
		if u128::from(age) >= max.as_millis() {
			return Err(AuthError::TooOld { signed_in_at: session.signed_in_at, max });
		}
		if !self.known(&session.account)? {
			return Err(AuthError::UnknownAccount(session.account));
		}
		Ok(self.grant(session.account, session.sign_in, session.signed_in_at))
	}

	/// Ends the sign-in of `token`, or of the caller's own session: see
	/// [`AuthApiServer::sign_out`].
	pub fn sign_out(&self, token: Option<&str>, caller: &Caller) -> Result<bool, AuthError> {
		let session = match (token, caller) {
			// An expired token ends its sign-in too: a renewal of it may still be alive.
			(Some(token), _) => self.sessions.open(token).map_err(AuthError::BadToken)?,
			(None, Caller::Signed(session)) => session.clone(),
			(None, _) => return Ok(false),
		};
		self.revocations
			.sign_out(session.sign_in, session.signed_in_at)
			.map_err(AuthError::NotDurable)?;
		Ok(true)
	}
}

/// The `auth_*` handlers.
#[derive(Clone)]
pub struct AuthRpc(pub Arc<Auth>);

impl AuthApiServer for AuthRpc {
	fn challenge(&self, account: AccountId) -> RpcResult<SignInChallenge> {
		let auth = &self.0;
		let block = auth.node.client.head().number;
		Ok(SignInChallenge {
			challenge: auth.challenges.issue(&account, block),
			genesis_hash: auth.node.client.genesis_hash(),
			expires_in_ms: u64::try_from(auth.challenges.ttl().as_millis()).unwrap_or(u64::MAX),
		})
	}

	fn sign_in(
		&self,
		account: AccountId,
		challenge: H256,
		signature: Bytes,
	) -> RpcResult<SessionGrant> {
		let result = self.0.sign_in(account.clone(), challenge, &signature);
		if let Err(e) = &result {
			tracing::debug!("RPC sign-in of {account} refused: {e}");
		}
		result.map_err(Into::into)
	}

	fn renew(&self, token: String) -> RpcResult<SessionGrant> {
		self.0.renew(&token).map_err(Into::into)
	}

	fn session(&self, ext: &Extensions) -> RpcResult<Option<SessionInfo>> {
		Ok(match caller(ext) {
			Caller::Signed(s) => Some(SessionInfo { account: s.account, expires_at: s.expires_at }),
			_ => None,
		})
	}

	fn sign_out(&self, ext: &Extensions, token: Option<String>) -> RpcResult<bool> {
		// The connection's middleware also forgets its session once this answers.
		self.0.sign_out(token.as_deref(), &caller(ext)).map_err(Into::into)
	}

	fn sign_out_everywhere(&self, ext: &Extensions) -> RpcResult<bool> {
		// Only the caller's own account: the method names none.
		let Caller::Signed(session) = caller(ext) else { return Ok(false) };
		self.0.end_account(&session.account)?;
		Ok(true)
	}
}

/// The session's account when a call acts as `named` (a vault request's signer): `Open`
/// allows any, a session only its own account.
pub fn require_account(ext: &Extensions, method: &str, named: &AccountId) -> Result<(), AuthError> {
	match caller(ext).account(method)? {
		None => Ok(()),
		Some(account) if account == named => Ok(()),
		Some(account) => {
			Err(AuthError::NotYourAccount { session: account.clone(), named: named.clone() })
		}
	}
}

/// Signs in as `signer` through `client` and returns the session, as a wallet does: for tools
/// of the node (`carechain vault audit`) and tests.
pub async fn sign_in<C, P>(
	client: &C,
	signer: &P,
) -> Result<SessionGrant, jsonrpsee::core::ClientError>
where
	C: jsonrpsee::core::client::ClientT + Sync,
	P: sp_core::Pair,
	P::Public: Into<sp_runtime::MultiSigner>,
	P::Signature: Into<sp_runtime::MultiSignature>,
{
	use sp_runtime::traits::IdentifyAccount as _;
	let account: AccountId = signer.public().into().into_account();
	let challenge = AuthApiClient::challenge(client, account.clone()).await?;
	let message = sign_in_message(&challenge.genesis_hash, &challenge.challenge, &account);
	let signature: sp_runtime::MultiSignature = signer.sign(&message).into();
	AuthApiClient::sign_in(client, account, challenge.challenge, Bytes(signature.encode())).await
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_keyring::Ed25519Keyring;

	#[test]
	fn the_sign_in_message_binds_chain_challenge_and_account() {
		let eve = Ed25519Keyring::Eve.to_account_id();
		let ferdie = Ed25519Keyring::Ferdie.to_account_id();
		let (g, c) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let message = sign_in_message(&g, &c, &eve);
		assert_eq!(message.len(), 24 + 32 * 3);
		assert!(message.starts_with(b"carechain/rpc/sign-in/v1"));
		assert_ne!(message, sign_in_message(&H256::repeat_byte(3), &c, &eve));
		assert_ne!(message, sign_in_message(&g, &H256::repeat_byte(3), &eve));
		assert_ne!(message, sign_in_message(&g, &c, &ferdie));
	}
}
