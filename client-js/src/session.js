// Signing in to a node that authenticates RPC (`carechain --rpc-auth on`, the default with
// --rpc-external): the account signs a single-use challenge and gets a short-lived session
// token, which the transport then sends with every request (HTTP: `Authorization: Bearer`;
// WebSocket: the subprotocol `carechain.token.<token>` or `?token=` on the handshake). The
// session renews itself before it expires and signs in again once it can no longer be renewed.

import { concat, fromHex, toHex, utf8 } from './bytes.js';
import { accountBytes } from './keys.js';

/** The prefix of the WebSocket subprotocol that carries a token. */
export const TOKEN_PROTOCOL = 'carechain.token.';

/** Codes of the node's authentication refusals. */
export const AuthErrorCode = Object.freeze({
  /** No session, or a token the node does not accept: sign in. */
  UNAUTHENTICATED: -32040,
  /** The session's account may not call this, or not for this patient. */
  FORBIDDEN: -32041,
  /** The session ended: renew, or sign in again. */
  SESSION_EXPIRED: -32042,
  /** The challenge or signature of a sign-in did not verify. */
  SIGN_IN_REFUSED: -32043,
  /** Too many sign-ins; retry shortly. */
  SIGN_IN_BUSY: -32044,
  /** The node could not read the chain, or could not record a sign-out on disk; retry. */
  AUTH_UNAVAILABLE: -32045,
  /** The session was signed out (`auth_signOut`, on any connection) or the node's operator
   * ended its account's sessions: it is not renewed; sign in again. */
  SESSION_REVOKED: -32046,
});

/**
 * What an account signs to sign in, as `carechain_node::rpc::auth::sign_in_message`:
 * `carechain/rpc/sign-in/v1` ++ genesis hash ++ challenge ++ account (24 + 3 × 32 bytes).
 * @param {string} genesisHash 0x-hex
 * @param {string} challenge 0x-hex, from `auth_challenge`
 * @param {string|Uint8Array} account an address or the 32 account bytes
 * @returns {Uint8Array}
 */
export function signInMessage(genesisHash, challenge, account) {
  return concat(utf8('carechain/rpc/sign-in/v1'), fromHex(genesisHash, 'genesis hash'), fromHex(challenge, 'challenge'), accountBytes(account));
}

/**
 * A signed-in session over an RpcClient. `signIn()` signs in and hands the token to the
 * transport; the session then renews itself when three quarters of the token's life have
 * passed, and signs in again (it holds the signer) once the node no longer renews it.
 */
export class Session {
  /**
   * @param {import('./rpc.js').RpcClient} rpc the transport to authenticate
   * @param {{ address: string, sign(message: Uint8Array): Uint8Array }} signer an Account
   * @param {{ onError?: (error: Error) => void, retryMs?: number }} [options] `onError`
   *   hears renewals that failed (they are retried every `retryMs`, default 1000, until the
   *   token expires)
   */
  constructor(rpc, signer, options = {}) {
    this.rpc = rpc;
    this.signer = signer;
    this.onError = options.onError ?? (() => {});
    this.retryMs = options.retryMs ?? 1000;
    /** The current grant: `{ token, account, expiresAt, expiresInMs, renewableUntil }`. */
    this.grant = null;
    this.timer = null;
    this.stopped = false;
  }

  /** The current token, or null before sign-in. */
  get token() {
    return this.grant?.token ?? null;
  }

  /** Signs in: challenge, signature, token. Resolves with the grant. */
  async signIn() {
    const { challenge, genesisHash } = await this.rpc.request('auth_challenge', [this.signer.address]);
    const signature = this.signer.sign(signInMessage(genesisHash, challenge, this.signer.address));
    const grant = await this.rpc.request('auth_signIn', [this.signer.address, challenge, toHex(signature)]);
    return this.#adopt(grant);
  }

  /** Renews the token now, or signs in again when the session can no longer be renewed. */
  async renew() {
    if (!this.grant || Date.now() >= this.grant.renewableUntil - 1000) return this.signIn();
    return this.#adopt(await this.rpc.request('auth_renew', [this.grant.token]));
  }

  #adopt(grant) {
    this.grant = grant;
    this.rpc.setToken(grant.token);
    this.#schedule((grant.expiresAt - Date.now()) * 0.75);
    return grant;
  }

  #schedule(delay) {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.#renewing(), Math.max(0, delay));
    this.timer.unref?.();
  }

  async #renewing() {
    try {
      await this.renew();
    } catch (e) {
      this.onError(e);
      // Signed out elsewhere, or ended by the operator: signing in again is the user's call.
      if (e?.code === AuthErrorCode.SESSION_REVOKED) return this.stop();
      // Retried while the token lasts; after that the next call's refusal says to sign in.
      if (this.grant && Date.now() + this.retryMs < this.grant.expiresAt) this.#schedule(this.retryMs);
    }
  }

  /**
   * Signs out: the node ends this sign-in, every token renewed from it included, on every
   * connection (over HTTP too), then the session stops. Resolves with whether there was a
   * session to end.
   */
  async signOut() {
    const token = this.token;
    this.stop();
    if (!token) return false;
    return this.rpc.request('auth_signOut', [token]);
  }

  /**
   * Signs out everywhere: the node ends every session of this account signed in until now (on
   * other devices too), on every connection, then this session stops. Resolves with whether
   * there was a session to end.
   */
  async signOutEverywhere() {
    if (!this.token) {
      this.stop();
      return false;
    }
    try {
      // Sent with this session's token: the node ends the caller's own account's sessions.
      return await this.rpc.request('auth_signOutEverywhere', []);
    } finally {
      this.stop();
    }
  }

  /** Stops renewing and forgets the token (the node keeps it valid until it expires: see
   * `signOut`). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.grant = null;
    this.rpc.setToken(null);
  }
}
