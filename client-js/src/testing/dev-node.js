// Starts a real `carechain --dev` node on free loopback ports for a test file, and stops it.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The workspace's target directory (CARGO_TARGET_DIR when set). */
export const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');

/** A TCP port nobody listens on now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A dev node: `{ url, httpUrl, fhirUrl, epcisUrl, log(), stop() }`, with more command-line `args` if given
 * (`['--rpc-auth', 'on']`). The binary is CARECHAIN_BIN or the one `cargo test` built
 * (target/debug/carechain).
 */
export async function startDevNode(args = []) {
  const binary = process.env.CARECHAIN_BIN ?? join(targetDir, 'debug', 'carechain');
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run cargo build -p carechain-node first (or set CARECHAIN_BIN)`);
  }
  const basePath = mkdtempSync(join(tmpdir(), 'carechain-client-js-'));
  const rpcPort = await freePort();
  const fhirPort = await freePort();
  const child = spawn(binary, [
    '--dev', '--gpu', 'cpu', '--base-path', basePath,
    '--rpc-port', String(rpcPort),
    '--fhir-port', String(fhirPort),
    '--prometheus-port', String(await freePort()),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${await freePort()}`,
    ...args,
  ]);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  return {
    url: `ws://127.0.0.1:${rpcPort}`,
    httpUrl: `http://127.0.0.1:${rpcPort}`,
    fhirUrl: `http://127.0.0.1:${fhirPort}/fhir`,
    epcisUrl: `http://127.0.0.1:${fhirPort}/epcis`,
    log: () => output,
    binary,
    basePath,
    /** Kills the node and waits for it to exit, keeping its base path (for `stop` to remove). */
    async halt() {
      child.kill('SIGKILL');
      await exited;
    },
    stop() {
      child.kill('SIGKILL');
      rmSync(basePath, { recursive: true, force: true });
    },
  };
}

/** Connects a client, retrying while the node starts (up to a minute). */
export async function connectWhenUp(connect, node) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await connect();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the node did not come up: ${e.message}\n${node.log()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
