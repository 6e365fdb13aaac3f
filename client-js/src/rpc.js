// JSON-RPC 2.0 over WebSocket (requests and subscriptions, reconnecting with backoff) or HTTP
// (requests only), with timeouts and errors that keep the node's code and message.

/** The node answered with a JSON-RPC error; `code` and `message` are the node's own. */
export class RpcError extends Error {
  constructor(method, { code, message, data }) {
    super(`${method}: ${message} (code ${code})${data === undefined ? '' : `: ${typeof data === 'string' ? data : JSON.stringify(data)}`}`);
    this.name = 'RpcError';
    this.method = method;
    this.code = code;
    this.rpcMessage = message;
    this.data = data;
  }
}

/** No answer came within the timeout. */
export class RpcTimeoutError extends Error {
  constructor(method, ms) {
    super(`${method}: no answer from the node within ${ms} ms`);
    this.name = 'RpcTimeoutError';
    this.method = method;
  }
}

/** The connection closed before the answer came; the request may or may not have run. */
export class RpcDisconnectedError extends Error {
  constructor(method, url, cause = undefined) {
    super(`${method}: the connection to ${url} closed before the node answered`, { cause });
    this.name = 'RpcDisconnectedError';
    this.method = method;
  }
}

async function webSocketClass(given) {
  if (given) return given;
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
  return (await import('ws')).WebSocket;
}

/**
 * A connection to a node. `url` is ws://, wss://, http:// or https://. Options: `timeout`
 * (ms per request, default 30 000), `reconnect` (WebSocket only, default true), `backoff`
 * (`{ initial, max }` ms, default 250 and 8000), `WebSocket` (a constructor, for environments
 * without a global one; Node.js uses the `ws` package), `token` (a session token to send, see
 * `setToken`), `tokenIn` (how a WebSocket handshake carries it: `'protocol'`, the default, or
 * `'query'`).
 */
export class RpcClient {
  constructor(url, options = {}) {
    this.url = url;
    this.token = options.token ?? null;
    this.tokenIn = options.tokenIn ?? 'protocol';
    if (!['protocol', 'query'].includes(this.tokenIn)) {
      throw new TypeError(`tokenIn is 'protocol' or 'query', not ${this.tokenIn}`);
    }
    this.timeout = options.timeout ?? 30_000;
    this.reconnect = options.reconnect ?? true;
    this.backoff = { initial: 250, max: 8000, ...options.backoff };
    this.WebSocketClass = options.WebSocket;
    this.http = /^https?:\/\//.test(url);
    if (!this.http && !/^wss?:\/\//.test(url)) {
      throw new TypeError(`${url}: a node URL starts with ws://, wss://, http:// or https://`);
    }
    this.nextId = 1;
    this.pending = new Map(); // id -> { method, resolve, reject, timer, payload }
    this.subscriptions = new Map(); // subscription id -> Subscription
    this.early = new Map(); // notifications that arrived before their subscribe answer
    this.closed = false;
    this.socket = null;
    this.connected = null; // a promise of the open socket
    this.listeners = { connected: new Set(), disconnected: new Set() };
  }

  /**
   * Sends `token` (a session token from `auth_signIn`, or null for none) from now on: as
   * `Authorization: Bearer` on HTTP, and on the handshake of every later WebSocket connection
   * (an open connection already took the session that `auth_signIn` or `auth_renew` answered
   * on it).
   */
  setToken(token) {
    this.token = token;
  }

  /** The URL and subprotocols of a WebSocket handshake that carries the current token. */
  handshake() {
    if (!this.token) return { url: this.url, protocols: undefined };
    if (this.tokenIn === 'protocol') return { url: this.url, protocols: [`carechain.token.${this.token}`] };
    const url = new URL(this.url);
    url.searchParams.set('token', this.token);
    return { url: url.toString(), protocols: undefined };
  }

  /** Calls `listener()` on 'connected' or 'disconnected'; returns a function that removes it. */
  on(event, listener) {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Opens the WebSocket (HTTP needs no connection); resolves when it is open. */
  connect() {
    if (this.http) return Promise.resolve();
    if (!this.connected) this.connected = this.#open(this.backoff.initial);
    return this.connected;
  }

  async #open(delay) {
    const WebSocket = await webSocketClass(this.WebSocketClass);
    for (;;) {
      if (this.closed) throw new RpcDisconnectedError('connect', this.url);
      try {
        const socket = await new Promise((resolve, reject) => {
          const { url, protocols } = this.handshake();
          const ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
          ws.onopen = () => resolve(ws);
          ws.onerror = (event) => reject(new Error(`cannot connect to ${this.url}`, { cause: event?.error ?? event }));
        });
        this.#attach(socket);
        return socket;
      } catch (e) {
        if (!this.reconnect) throw e;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.backoff.max);
      }
    }
  }

  #attach(socket) {
    this.socket = socket;
    socket.onmessage = (event) => this.#receive(typeof event.data === 'string' ? event.data : String(event.data));
    socket.onerror = () => {};
    socket.onclose = () => this.#dropped(socket);
    this.listeners.connected.forEach((l) => l());
    // Subscriptions survive a reconnection: each is made again on the new socket.
    for (const subscription of [...this.subscriptions.values()]) {
      this.subscriptions.delete(subscription.id);
      subscription.renew();
    }
  }

  #dropped(socket) {
    if (this.socket !== socket) return;
    this.socket = null;
    this.connected = null;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new RpcDisconnectedError(call.method, this.url));
      this.pending.delete(id);
    }
    this.listeners.disconnected.forEach((l) => l());
    for (const subscription of this.subscriptions.values()) subscription.disconnected();
    if (!this.closed && this.reconnect) this.connect().catch(() => {});
  }

  #receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.id !== undefined && message.id !== null) {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.error) call.reject(new RpcError(call.method, message.error));
      else call.resolve(message.result);
      return;
    }
    const id = message.params?.subscription;
    if (id === undefined) return;
    const subscription = this.subscriptions.get(id);
    if (subscription) subscription.deliver(message.params);
    else if (this.early.size < 64) this.early.set(id, [...(this.early.get(id) ?? []), message.params]);
  }

  /** Calls `method` with `params`; resolves with the result or rejects with an RpcError. */
  async request(method, params = []) {
    if (this.closed) throw new RpcDisconnectedError(method, this.url);
    const id = this.nextId++;
    const payload = JSON.stringify({ jsonrpc: '2.0', id, method, params }, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    if (this.http) return this.#post(method, payload);
    const socket = await withTimeout(this.connect(), this.timeout, method);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcTimeoutError(method, this.timeout));
      }, this.timeout);
      this.pending.set(id, { method, resolve, reject, timer });
      socket.send(payload);
    });
  }

  async #post(method, payload) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeout);
    let response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: payload,
        signal: controller.signal,
      });
    } catch (e) {
      if (controller.signal.aborted) throw new RpcTimeoutError(method, this.timeout);
      throw new RpcDisconnectedError(method, this.url, e);
    } finally {
      clearTimeout(timer);
    }
    const text = await response.text();
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      throw new RpcError(method, { code: response.status, message: `HTTP ${response.status}: ${text.slice(0, 200)}` });
    }
    if (message.error) throw new RpcError(method, message.error);
    return message.result;
  }

  /**
   * Subscribes with `method(params)`; `onItem(result)` receives each notification and
   * `onError(error)` a disconnection when `resubscribe` is false (for subscriptions whose
   * request must not run twice, such as submitting a transaction). Resolves with an object
   * whose `unsubscribe()` ends it.
   */
  async subscribe(method, params, unsubscribeMethod, onItem, { onError = () => {}, resubscribe = true } = {}) {
    if (this.http) throw new TypeError(`${method}: subscriptions need a ws:// or wss:// URL`);
    const client = this;
    const subscription = {
      id: null,
      active: true,
      deliver: (p) => subscription.active && onItem(p.result),
      async renew() {
        if (!subscription.active) return;
        if (!resubscribe) return subscription.disconnected();
        try {
          await subscription.start();
        } catch (e) {
          onError(e);
        }
      },
      disconnected() {
        if (resubscribe || !subscription.active) return;
        subscription.active = false;
        onError(new RpcDisconnectedError(method, client.url));
      },
      async start() {
        const id = await client.request(method, params);
        subscription.id = id;
        client.subscriptions.set(id, subscription);
        for (const p of client.early.get(id) ?? []) subscription.deliver(p);
        client.early.delete(id);
      },
      async unsubscribe() {
        subscription.active = false;
        client.subscriptions.delete(subscription.id);
        if (client.socket) await client.request(unsubscribeMethod, [subscription.id]).catch(() => false);
      },
    };
    await subscription.start();
    return subscription;
  }

  /** Closes the connection; pending requests fail and nothing reconnects. */
  async close() {
    this.closed = true;
    const socket = this.socket;
    if (socket) {
      this.#dropped(socket);
      socket.close();
    }
  }
}

function withTimeout(promise, ms, method) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new RpcTimeoutError(method, ms)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
